#!/usr/bin/env bash
# Print the real output that README.md shows, from a fresh demo database, so the README can be brought up to
# date after a change (a retrained theme model changes the classify, evaluate, status, search, export, trends
# and report examples). Run from the repository root after `make install`:
#
#   bash scripts/readme_examples.sh > /tmp/readme-examples.txt
#
# It replaces outputs/casereview.duckdb (the demo database) and writes a few files under outputs/.
set -euo pipefail
cr=.venv/bin/casereview
show() { printf '\n$ casereview %s\n' "$*"; "$cr" "$@" 2>&1 || true; }

make --no-print-directory clean
show run --manifest corpus_manifest/demo.csv
show run --manifest corpus_manifest/demo.csv
show status
show reviews --nation Wales
printf '\n$ casereview extract corpus_manifest/demo/cwm-llwyd-2022-child-h.pdf | sed -n 5,6p\n'
"$cr" extract corpus_manifest/demo/cwm-llwyd-2022-child-h.pdf | sed -n 5,6p
show sql "SELECT review_id, nation, year, pages, passages FROM v_review_summary ORDER BY year, review_id LIMIT 6"
printf '\n$ .venv/bin/python scripts/untagged_sections.py\n'
.venv/bin/python scripts/untagged_sections.py
printf '\n$ casereview classify < docs/classify_examples.jsonl\n'
"$cr" classify < docs/classify_examples.jsonl
if [ -f ../shared/eval/dev_themes.jsonl ]; then
  show evaluate --gold ../shared/eval/dev_themes.jsonl
fi
show label-sheet --out outputs/check.xlsx --replace
show evaluate --gold docs/demo_check.csv
show evaluate --gold docs/demo_check.csv --record
show export --theme assessment --out outputs/assessment.xlsx
show search "school not told" --limit 2
show search --theme voice_of_child --nation Wales --limit 2
show search "safegaurding neglet" --limit 1
show search "neglect -police" --limit 1
show search "health visitor" --review "Child H" --limit 1
show search --theme voice_of_child --review "Child Y" --page-order --limit 3
show search neglect --by-review
show search '(neglect OR "emotional abuse") AND (school OR nursery)' --by-review
show searches docs/briefing_searches.txt
show search "information sharing" --limit 1
show findings --containing information
show topics fit
show topics show
show export --theme legal_powers --format md --out outputs/legal_powers.md
sed -n 1,20p outputs/legal_powers.md
show trends
show trends --measure passages
show report --area Northmoor --year 2021 --out outputs/northmoor-2021.html
show report --area Northmoor --year 2019 --out outputs/x.html
