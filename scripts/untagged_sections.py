"""Count what the theme model alone would tag in the passages the pipeline leaves untagged because they sit
under a heading on how the review was done (method, scope, acknowledgements...), for the README's figure.

    .venv/bin/python scripts/untagged_sections.py [DB]
"""

from __future__ import annotations

import sys
from collections import defaultdict

import duckdb

from pipeline.records import Passage
from pipeline.settings import default_db, models_dir
from pipeline.themes.model import ThemeModel
from pipeline.themes.sections import untagged_passages


def main(db_path: str) -> None:
    with duckdb.connect(db_path, read_only=True) as con:
        rows = con.execute("SELECT passage_id, review_id, seq, text, page_start, page_end, section, char_start, "
                           "char_end FROM passages ORDER BY review_id, seq").fetchall()
    by_review: dict[str, list[Passage]] = defaultdict(list)
    for row in rows:
        by_review[row[1]].append(Passage(*row))
    left_out = [p for passages in by_review.values() for p in passages
                if p.passage_id in untagged_passages(passages)]
    labels = ThemeModel.load(models_dir() / "themes-v1").labels([p.text for p in left_out])
    tagged = [themes for themes in labels if themes]
    print(f"{len(left_out)} passages under method-like headings in {len(by_review)} reviews; the model alone "
          f"gives {sum(map(len, tagged))} tags to {len(tagged)} of them")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(default_db()))
