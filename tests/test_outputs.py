"""Tests for the views, exports, trends and the annual HTML report, on the small corpus of test_search.py.

The commands are run through click's test runner, as a person would type them.
"""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import click
import duckdb
import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline.cli import sql as sql_command
from pipeline.commands.outputs import (
    OUTPUT_COMMANDS,
    add_output_commands,
    export_command,
    findings_command,
    label_sheet_command,
    report_command,
    reviews_command,
    search_command,
    searches_command,
    trends_command,
)
from pipeline.errors import CaseReviewError
from pipeline.outputs.common import percent, probability_text, theme_names
from pipeline.outputs.export import export_theme
from pipeline.outputs.report import CHART_TOPS
from pipeline.outputs.tables import COLUMN_MEANINGS, writing
from pipeline.outputs.trends import theme_trends
from pipeline.settings import PROJECT_ROOT
from tests.test_search import CWM_LLWYD, MANIFEST_SHA, NORTHMOOR, THEME_MODEL, build_corpus


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_corpus(tmp_path_factory.mktemp("outputs") / "casereview.duckdb")


def run(command: click.Command, args: list[str], db: Path):
    return CliRunner().invoke(command, [*args, "--db", str(db)])


def rows(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def run_id(db: Path) -> str:
    return rows(db, "SELECT run_id FROM runs WHERE status = 'finished'")[0][0]


# --------------------------------------------------------------------------- views


def test_theme_evidence_view_has_one_row_per_tag_with_its_best_evidence(db: Path):
    tags = rows(db, "SELECT count(*) FROM passage_themes")[0][0]
    assert rows(db, "SELECT count(*) FROM v_theme_evidence")[0][0] == tags == 12
    row = rows(db, """
        SELECT review_id, title, area, nation, review_type, year, page_start, page_end, section, theme, score,
               model_version, evidence, passage_id
        FROM v_theme_evidence WHERE passage_id = 'northmoor-2019-child-d-p1' AND theme = 'multi_agency_working'""")
    assert row == [("northmoor-2019-child-d", "Child D: a child safeguarding practice review", NORTHMOOR, "England",
                    "CSPR", 2019, 3, 4, "Findings", "multi_agency_working", 0.55, THEME_MODEL,
                    "The referral about bruising was not shared with the GP.", "northmoor-2019-child-d-p1")]


def test_theme_trends_view_counts_reviews_read_and_passages(db: Path):
    got = rows(db, """
        SELECT reviews_with_theme, reviews_in_year, share_of_reviews, passages_with_theme, passages_in_year
        FROM v_theme_trends WHERE year = 2021 AND theme = 'parental_factors'""")
    # Family K carries it in 2 of its 3 passages; Child M (2021) needs OCR, so it is not a review read.
    assert got == [(1, 1, 1.0, 2, 3)]
    zero = rows(db, "SELECT reviews_with_theme, share_of_reviews FROM v_theme_trends "
                    "WHERE year = 2022 AND theme = 'information_sharing'")
    assert zero == [(0, 0.0)]
    years = rows(db, "SELECT DISTINCT year FROM v_theme_trends ORDER BY year")
    assert years == [(2019,), (2020,), (2021,), (2022,)]  # 2022's Westhaven review failed: Child W counts


def test_review_summary_view_lists_every_review_with_status_and_themes(db: Path):
    got = {r[0]: r[1:] for r in rows(db, "SELECT review_id, status, pages, passages, themes FROM v_review_summary")}
    assert len(got) == 6
    assert got["northmoor-2021-family-k"] == ("ok", 8, 3, ["parental_factors", "information_sharing"])
    assert got["northmoor-2021-child-m"][:1] == ("needs_ocr",) and got["northmoor-2021-child-m"][2:] == (0, [])
    assert got["westhaven-2022-child-r"] == ("failed", None, 0, [])


# --------------------------------------------------------------------------- export


def test_export_csv_writes_the_table_and_a_provenance_sidecar(db: Path, tmp_path: Path):
    out = tmp_path / "sharing.csv"
    result = run(export_command, ["--theme", "information_sharing", "--out", str(out)], db)
    assert result.exit_code == 0, result.output
    assert "sharing.csv.provenance.json" in result.output
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == ("review,review_id,area,nation,year,pages,printed_pages,section,quote,quote_is,"
                        "quote_probability,probability,weak_tag,model_version,passage_id,passage")
    assert len(lines) == 4 and not any(line.startswith("#") for line in lines)
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert table["probability"].tolist() == [0.92, 0.74, 0.66]
    assert table["quote_probability"].tolist() == [0.87, 0.69, 0.61]  # the evidence sentences' own
    assert table["weak_tag"].tolist() == ["no", "no", "no"] and "weak tags" not in result.output
    assert table["passage"][0].startswith("Information sharing between the school") and \
        table["quote"][0] in table["passage"][0]
    assert "3–4" in lines[1] and "Information sharing between the school" in lines[1]
    info = json.loads((tmp_path / "sharing.csv.provenance.json").read_text())
    assert info["run_id"] == run_id(db) and info["manifest_sha256"] == MANIFEST_SHA
    assert info["theme_models"] == [THEME_MODEL] and info["theme"] == "information_sharing"
    assert info["database"] == str(db.resolve()) and info["generated_at"]


def test_export_xlsx_has_an_evidence_sheet_and_a_provenance_sheet(db: Path, tmp_path: Path):
    out = tmp_path / "voice.xlsx"
    result = run(export_command, ["--theme", "Voice of the child", "--out", str(out)], db)
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Evidence", "Columns", "Provenance"]
    evidence = list(book["Evidence"].values)
    # what each column holds: a sheet, and a note on each header cell
    columns = dict(list(book["Columns"].values)[1:])
    assert list(columns) == list(evidence[0]) and columns["quote_is"].startswith("What the quote is")
    assert book["Evidence"]["A1"].comment.text == COLUMN_MEANINGS["review"]
    assert evidence[0][:3] == ("review", "review_id", "area")
    column = {name: i for i, name in enumerate(evidence[0])}
    assert [row[column["probability"]] for row in evidence[1:]] == [0.88, 0.7]
    assert evidence[1][column["quote"]] == "Her wishes and feelings were never recorded."
    about = dict(list(book["Provenance"].values)[1:])
    assert about["run_id"] == run_id(db) and about["manifest_sha256"] == MANIFEST_SHA
    assert about["theme_models"] == THEME_MODEL and about["generated_at"]


def test_every_column_of_every_table_the_commands_write_says_what_it_holds(db: Path, tmp_path: Path):
    from pipeline.outputs.export import COLUMNS as EVIDENCE
    from pipeline.outputs.findings import CSV_COLUMNS as FINDINGS
    from pipeline.outputs.search_table import COLUMNS as RESULTS
    from pipeline.outputs.trends import FEW_REVIEWS

    out = tmp_path / "trends.csv"
    assert run(trends_command, ["--out", str(out)], db).exit_code == 0
    trends = pd.read_csv(out).columns
    for columns in (EVIDENCE, FINDINGS, RESULTS, trends):
        assert [c for c in columns if c not in COLUMN_MEANINGS] == [], columns
    assert f"fewer than {FEW_REVIEWS} reviews" in COLUMN_MEANINGS["few_reviews"]
    # a CSV's meanings are in its provenance sidecar
    sidecar = json.loads(out.with_name(out.name + ".provenance.json").read_text(encoding="utf-8"))
    assert list(sidecar["columns"]) == list(trends)


def test_export_markdown_starts_with_the_provenance(db: Path, tmp_path: Path):
    out = tmp_path / "legal.md"
    export_theme(db, "legal_powers", "md", out)
    text = out.read_text(encoding="utf-8")
    header, table = text.split("| # |", 1)
    assert header.startswith("# Evidence for the theme: Legal powers")
    assert run_id(db) in header and MANIFEST_SHA in header and THEME_MODEL in header
    assert "check every quote against the source review" in header
    assert "On real sentences" not in header  # the test model's figures on real text are not known
    assert "| 1 | Child T: a child practice review | Cwm Llwyd Regional Safeguarding Board | 2020 | 4 | " \
           "The Public Law Outline was never started. | 85% |" in table


def test_provenance_names_the_runs_that_read_the_reviews_not_only_the_latest_run(db: Path, tmp_path: Path):
    """A later run of a one-row manifest read one review again: an output cites both runs and their manifests,
    with how many reviews each read, rather than the latest run's manifest alone."""
    first = run_id(db)
    copy = altered_copy(db, tmp_path / "two-runs.duckdb", """
        INSERT INTO runs (run_id, started_at, finished_at, manifest, manifest_sha256, pipeline_version, status)
        VALUES ('29991231T000000Z-later', TIMESTAMP '2999-12-31 00:00', TIMESTAMP '2999-12-31 00:05', 'one.csv',
                'dddd', '0.1.0+p99', 'finished');
        INSERT INTO run_reviews VALUES ('29991231T000000Z-later', 'cwm-llwyd-2022-child-w', 'processed', NULL, 1.0);
        INSERT INTO run_reviews VALUES ('29991231T000000Z-later', 'cwm-llwyd-2020-child-t', 'skipped', NULL, 0.1);""")
    out = tmp_path / "legal.md"
    export_theme(copy, "legal_powers", "md", out)
    header = out.read_text(encoding="utf-8").split("| # |", 1)[0]
    assert "Latest finished run: 29991231T000000Z-later" in header and "Manifest: one.csv, SHA-256 dddd" in header
    read_by = header.split("Database's reviews read by: ", 1)[1].split("\n", 1)[0]
    assert read_by.startswith(f"run {first}: 3 reviews (finished ") and f"SHA-256 {MANIFEST_SHA}" in read_by
    assert read_by.endswith("; run 29991231T000000Z-later: 1 review (finished 2999-12-31 00:05 UTC; manifest "
                            "one.csv, SHA-256 dddd; text extracted by pipeline version 0.1.0+p99)  ")
    report = tmp_path / "r.html"
    assert run(report_command, ["--area", "Cwm", "--year", "2022", "--out", str(report)], copy).exit_code == 0
    assert "Database&#x27;s reviews read by" in report.read_text(encoding="utf-8") and first in report.read_text(
        encoding="utf-8")


def test_provenance_says_which_version_made_the_output_and_which_extracted_the_text(db: Path, tmp_path: Path):
    """casereview's version (0.1.0) and the pipeline version of a run (0.1.0+p25) are told apart by their labels,
    and the latest run's pipeline version, which need not have extracted any text shown, is not given."""
    from pipeline import __version__
    from pipeline.settings import PIPELINE_VERSION

    read_by = f"text extracted by pipeline version {PIPELINE_VERSION})"
    export_theme(db, "legal_powers", "md", tmp_path / "legal.md")
    header = (tmp_path / "legal.md").read_text(encoding="utf-8").split("| # |", 1)[0]
    assert f" UTC by casereview version {__version__}  \n" in header and read_by in header
    export_theme(db, "legal_powers", "csv", tmp_path / "legal.csv")
    about = json.loads((tmp_path / "legal.csv.provenance.json").read_text(encoding="utf-8"))
    assert about["casereview_version"] == __version__ and "pipeline_version" not in about
    assert all(what.endswith(read_by) for what in about["reviews_read_by"].values())
    assert about["pipeline_versions"] == [PIPELINE_VERSION]  # the same, for programs
    export_theme(db, "legal_powers", "xlsx", tmp_path / "legal.xlsx")
    sheet = pd.read_excel(tmp_path / "legal.xlsx", sheet_name="Provenance")
    assert "pipeline_version" not in set(sheet["field"]) and "casereview_version" in set(sheet["field"])


def test_trends_name_the_runs_that_read_the_reviews_not_a_later_run_that_read_none(db: Path, tmp_path: Path):
    first = run_id(db)
    copy = altered_copy(db, tmp_path / "rerun.duckdb", """
        INSERT INTO runs (run_id, started_at, finished_at, manifest, manifest_sha256, pipeline_version, status)
        VALUES ('29991231T000000Z-rerun', TIMESTAMP '2999-12-31 00:00', TIMESTAMP '2999-12-31 00:05',
                'manifest.csv', 'eeee', '0.1.0+p99', 'finished');
        INSERT INTO run_reviews VALUES ('29991231T000000Z-rerun', 'cwm-llwyd-2020-child-t', 'skipped', NULL, 0.1);""")
    result = run(trends_command, ["--out", str(tmp_path / "trends.svg")], copy)
    assert result.exit_code == 0, result.output
    footer = result.output.split("can swing widely.", 1)[1]
    assert f"\nDatabase's reviews read by: run {first}: 4 reviews (finished " in footer
    assert "Generated " in footer and str(copy.resolve()) in footer
    assert "29991231T000000Z-rerun" not in result.output
    chart = (tmp_path / "trends.svg").read_text(encoding="utf-8")
    lines_joined = " ".join(" ".join(re.findall(r"<!--(.*?)-->", chart, re.S)).split())  # a line of text a comment
    assert f"reviews read by run {first}" in lines_joined and "29991231T000000Z-rerun" not in chart


def test_export_marks_weak_tags_and_says_how_many_there_are(db: Path, tmp_path: Path):
    # a tag under 50% is in the evidence table (the model's threshold let it through), marked as weak everywhere
    copy = altered_copy(db, tmp_path / "weak-tag.duckdb", """
        UPDATE passage_themes SET score = 0.41 WHERE passage_id = 'cwm-llwyd-2020-child-t-p2'
            AND theme = 'information_sharing'""")
    out = tmp_path / "sharing.csv"
    result = run(export_command, ["--theme", "information_sharing", "--out", str(out)], copy)
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "1 of the 3 are weak tags (under 50%: the model is unsure the passage is about the theme), marked so; " \
           "--min-score 0.5 leaves them out." in said
    table = pd.read_csv(out, encoding="utf-8-sig").set_index("passage_id")
    assert table.loc["cwm-llwyd-2020-child-t-p2", "weak_tag"] == "yes"
    assert (table["weak_tag"] == "yes").sum() == 1
    assert json.loads((tmp_path / "sharing.csv.provenance.json").read_text())["weak_tags"] == 1
    md = export_theme(copy, "information_sharing", "md").text
    assert "| 41% (weak) |" in md and "1 of the 3 are weak tags" in md
    kept = run(export_command, ["--theme", "information_sharing", "--min-score", "0.5", "--out", str(out)], copy)
    assert "weak tag" not in kept.output and (pd.read_csv(out, encoding="utf-8-sig")["weak_tag"] == "no").all()
    # the file pasted into a paper says what was left out (only the CSV's provenance JSON and Excel's sheet did)
    assert "2 passages tagged Information sharing (information_sharing), highest probability first; only tags with " \
           "a probability of 50% or more (the others left out)." in " ".join(kept.output.split())
    md = export_theme(copy, "information_sharing", "md", min_score=0.5).text
    assert "2 passages, highest probability first. Only tags with a probability of 50% or more (the others left " \
           "out)." in md


def test_export_says_when_the_quote_alone_scores_low_and_never_writes_a_probability_of_1(db: Path, tmp_path: Path):
    copy = altered_copy(db, tmp_path / "weak-quote.duckdb", """
        UPDATE theme_evidence SET score = 0.17 WHERE passage_id = 'northmoor-2019-child-d-p1'
            AND theme = 'information_sharing';
        UPDATE passage_themes SET score = 0.99961 WHERE passage_id = 'northmoor-2021-family-k-p1'
            AND theme = 'information_sharing'""")
    out = tmp_path / "sharing.csv"
    assert run(export_command, ["--theme", "information_sharing", "--out", str(out)], copy).exit_code == 0
    table = pd.read_csv(out, encoding="utf-8-sig").set_index("passage_id")
    weak = table.loc["northmoor-2019-child-d-p1"]
    assert weak["quote_probability"] == 0.17
    assert weak["quote_is"] == "evidence sentence, alone it scores 17%: the theme rests on the whole passage"
    assert table.loc["cwm-llwyd-2020-child-t-p2", "quote_is"] == "evidence sentence"
    assert table.loc["northmoor-2021-family-k-p1", "probability"] == 0.999
    md = export_theme(copy, "information_sharing", "md").text
    assert "*(alone it scores 17%: the theme rests on the whole passage)*" in md and ">99%" in md


def test_export_format_follows_the_file_name_and_csv_can_go_to_the_screen(db: Path, tmp_path: Path):
    assert export_theme(db, "assessment", None, tmp_path / "a.md").path.read_text().startswith("# Evidence")
    shown = run(export_command, ["--theme", "assessment"], db)
    assert shown.exit_code == 0
    assert "review,review_id" in shown.output and "Provenance" in shown.output and run_id(db) in shown.output
    # the provenance on the screen says what was kept, as the file's would
    kept = run(export_command, ["--theme", "information_sharing", "--min-score", "0.7", "--nation", "England"], db)
    assert kept.exit_code == 0 and ("  Theme: Information sharing (information_sharing), 2 rows, highest probability "
                                    "first; probability at least 0.7; reviews: nation England") in kept.stderr


def test_export_keeps_the_reviews_the_filters_name_and_says_so(db: Path, tmp_path: Path):
    everything = export_theme(db, "information_sharing", "csv")
    assert {line.split(",")[1] for line in everything.text.splitlines()[1:]} == {
        "cwm-llwyd-2020-child-t", "northmoor-2019-child-d", "northmoor-2021-family-k"}
    out = tmp_path / "wales.md"
    result = run(export_command, ["--theme", "information_sharing", "--nation", "wales", "--year-from", "2020",
                                  "--year-to", "2021", "--out", str(out)], db)
    assert result.exit_code == 0, result.output
    assert "1 passage tagged" in result.output and "reviews: years 2020-2021, nation wales" in result.output
    text = out.read_text(encoding="utf-8")
    assert "Reviews: years 2020-2021, nation wales." in text
    table = text.split("| # |", 1)[1]
    assert "Cwm Llwyd" in table and "Northmoor" not in table
    by_area = export_theme(db, "information_sharing", "csv", area="northmoor", review_type="cspr")
    assert {line.split(",")[1] for line in by_area.text.splitlines()[1:]} == {
        "northmoor-2019-child-d", "northmoor-2021-family-k"}
    assert by_area.provenance["reviews"] == 'review type cspr, area Northmoor Safeguarding Children Partnership'
    # --section keeps the passages under a heading containing the text: Child D's and Child T's are findings
    findings = export_theme(db, "information_sharing", "csv", section="FINDINGS")
    assert {line.split(",")[1] for line in findings.text.splitlines()[1:]} == {
        "cwm-llwyd-2020-child-t", "northmoor-2019-child-d", "northmoor-2021-family-k"}
    out = tmp_path / "planning.md"
    result = run(export_command, ["--theme", "planning_support", "--section", "plan", "--out", str(out)], db)
    assert result.exit_code == 0, result.output
    assert 'tagged Planning and support (planning_support) under a heading containing "plan"' in result.output
    assert 'Passages under a heading containing "plan".' in out.read_text(encoding="utf-8")
    assert findings.provenance["section"] == "FINDINGS" and everything.provenance["section"] is None


def test_reviews_lists_every_review_with_its_id_and_whether_it_was_read(db: Path):
    listed = run(reviews_command, [], db)
    assert listed.exit_code == 0, listed.output
    assert listed.output.startswith("6 reviews in the database (2 not read: --unread lists them), newest first.")
    ids = re.findall(r"^\d{4}  (\S+)$", listed.output, flags=re.M)
    assert ids == ["cwm-llwyd-2022-child-w", "westhaven-2022-child-r", "northmoor-2021-child-m",
                   "northmoor-2021-family-k", "cwm-llwyd-2020-child-t", "northmoor-2019-child-d"]  # newest first
    child_d = listed.output.split("northmoor-2019-child-d\n", 1)[1]
    assert child_d.startswith("      Child D: a child safeguarding practice review\n"
                              "      Northmoor Safeguarding Children Partnership · England · CSPR\n"
                              "      read: 7 pages, 3 passages · commonest themes: Assessment, Information sharing,")
    unread = run(reviews_command, ["--unread"], db)
    assert unread.output.startswith("2 of the 6 reviews in the database could not be read, newest first.")
    assert "      could not be read: HTTP 404 Not Found: check the link" in unread.output
    assert "      needs OCR (no text could be read): no page has a text layer" in unread.output
    wales = run(reviews_command, ["--nation", "wales", "--json"], db)
    rows = [json.loads(line) for line in wales.output.splitlines()]
    assert [row["review_id"] for row in rows] == ["cwm-llwyd-2022-child-w", "cwm-llwyd-2020-child-t"]
    assert rows[1]["themes"] == ["information_sharing", "legal_powers"] and rows[1]["passages"] == 2
    assert run(reviews_command, ["--nation", "Wales", "--unread"], db).output == (
        "Every review in the database that the filters keep (nation Wales) was read.\n")
    wrong = run(reviews_command, ["--area", "Nowhere"], db)
    assert wrong.exit_code == 2 and "no review's area contains 'Nowhere'" in wrong.output
    # words of the title, or of the id, any case
    for words, expected in (("family  K", ["northmoor-2021-family-k"]), ("CWM-LLWYD", ["cwm-llwyd-2022-child-w",
                                                                                       "cwm-llwyd-2020-child-t"])):
        found = run(reviews_command, ["--containing", words], db)
        assert re.findall(r"^\d{4}  (\S+)$", found.output, flags=re.M) == expected
    assert run(reviews_command, ["--containing", "Child Z"], db).output == (
        'None of the 6 reviews in the database is kept by the filters (title or id containing "Child Z").\n')


def test_export_and_findings_keep_one_review_named_by_its_id_or_title(db: Path):
    one = export_theme(db, "information_sharing", "csv", review="Child T")
    assert {line.split(",")[1] for line in one.text.splitlines()[1:]} == {"cwm-llwyd-2020-child-t"}
    assert one.provenance["reviews"] == 'the review "cwm-llwyd-2020-child-t"'  # recorded by its id
    result = run(export_command, ["--theme", "information_sharing", "--review", "northmoor-2019-child-d"], db)
    assert result.exit_code == 0 and "northmoor-2021-family-k" not in result.output
    assert "northmoor-2019-child-d" in result.output
    none = run(export_command, ["--theme", "voice_of_child", "--review", "Child T"], db)
    assert none.exit_code == 2 and 'in the review "cwm-llwyd-2020-child-t": nothing to export' in none.output
    from pipeline.outputs.findings import stated_findings

    rows, about = stated_findings(db, review="family K")
    assert about["reviews"] == 'the review "northmoor-2021-family-k"' and about["reviews_read"] == 1
    assert {row["review_id"] for row in rows} <= {"northmoor-2021-family-k"}


@pytest.mark.parametrize(("args", "message"), [
    (["--theme", "assessment", "--review", "Child"], "is in the titles of 6 reviews: give the id of the one"),
    (["--theme", "assessment", "--nation", "Narnia"], "The nations in the database are: England, Wales"),
    (["--theme", "assessment", "--area", "Northmor"], "Closest area names: Northmoor"),
    (["--theme", "assessment", "--year-from", "2022", "--year-to", "2019"], "swap them"),
    (["--theme", "assessment", "--year-from", "2030"], "kept by the filters (years from 2030)"),
    (["--theme", "neglect"], "unknown theme 'neglect'"),
    (["--theme", "voice"], "unknown theme 'voice'. Did you mean 'voice_of_child'?"),  # part of a name
    (["--theme", "multi agency"], "Did you mean 'multi_agency_working'?"),
    (["--theme", "asessment"], "Did you mean 'assessment'?"),  # a close spelling
    (["--theme", "assessment", "--format", "xlsx"], "needs a file name"),
    (["--theme", "assessment", "--min-score", "0.95"], "nothing to export"),
    (["--theme", "assessment", "--section", "Finding"], "under a heading containing \"Finding\": nothing to export"),
    (["--theme", "assessment", "--section", "Recomendations"], "Did you mean 'recommendations' (as in"),
    (["--theme", "assessment", "--section", "findngs"], "Did you mean 'finding"),  # a word, not a whole heading
    (["--theme", "assessment", "--out", "evidence.docx"], "name the file .csv, .xlsx (Excel) or .md"),
    (["--theme", "assessment", "--format", "csv", "--out", "evidence.xlsx"],
     "--out evidence.xlsx says Excel but --format says csv: name the file evidence.csv"),
    (["--theme", "assessment", "--out", "C:\\Users\\me\\evidence.xlsx"],
     "is a Windows path, which this system cannot open. In WSL the same place is /mnt/c/Users/me/evidence.xlsx"),
])
def test_export_errors_are_clear(db: Path, args: list[str], message: str):
    result = run(export_command, args, db)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


# --------------------------------------------------------------------------- trends


def test_trends_numbers_on_the_fixture(db: Path):
    frame, info = theme_trends(db)
    sharing = frame[frame["theme"] == "information_sharing"].set_index("year")
    assert sharing["reviews_with_theme"].to_dict() == {2019: 1, 2020: 1, 2021: 1, 2022: 0}
    assert sharing["share_of_reviews"].to_dict() == {2019: 1.0, 2020: 1.0, 2021: 1.0, 2022: 0.0}
    assert sharing["passages_in_year"].to_dict() == {2019: 3, 2020: 2, 2021: 3, 2022: 2}
    assert list(frame["theme_name"].unique())[:2] == ["Assessment", "Voice of the child"]
    assert info["run_id"] == run_id(db)


def test_trends_of_many_years_fit_a_terminal_in_blocks_of_years(db: Path):
    from pipeline.outputs.trends import TABLE_WIDTH, format_trends

    frame, info = theme_trends(db)
    one = frame[frame["year"] == 2019]
    many = pd.concat([one.assign(year=year) for year in range(2010, 2026)], ignore_index=True)  # 16 years
    text = format_trends(many, info)
    table = [line for line in text.splitlines() if line.startswith(("Theme ", "Reviews read", "Assessment"))]
    assert max(len(line) for line in table) <= TABLE_WIDTH
    headers = [line.split()[1:] for line in table if line.startswith("Theme ")]
    assert len(headers) >= 2 and sum(headers, []) == [str(year) for year in range(2010, 2026)]  # every year once
    assert len([line for line in table if line.startswith("Assessment")]) == len(headers)


def test_trends_command_prints_a_table_and_draws_png_and_svg(db: Path, tmp_path: Path):
    result = run(trends_command, ["--out", str(tmp_path / "trends.png")], db)
    assert result.exit_code == 0, result.output
    assert "Information sharing    1 (100%)  1 (100%)  1 (100%)    0 (0%)" in result.output
    assert "fewer than 5 reviews" in result.output and THEME_MODEL in result.output
    assert (tmp_path / "trends.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert run(trends_command, ["--out", str(tmp_path / "trends.svg")], db).exit_code == 0
    assert "<svg" in (tmp_path / "trends.svg").read_text()
    bad = run(trends_command, ["--out", str(tmp_path / "trends.pdf")], db)
    assert bad.exit_code == 2 and ".png or .svg" in bad.output and ".csv, .xlsx or .md" in bad.output
    assert not (tmp_path / "trends.pdf").exists()


def test_the_same_trends_give_the_same_chart_file_byte_for_byte(db: Path, tmp_path: Path):
    from pipeline.outputs.trends import plot_trends

    frame, info = theme_trends(db)
    for suffix in (".svg", ".png"):
        first, second = tmp_path / f"first{suffix}", tmp_path / f"second{suffix}"
        plot_trends(frame, info, first)
        plot_trends(frame, info, second)
        assert first.read_bytes() == second.read_bytes(), suffix


@pytest.mark.parametrize("themes", [1, 2, 7])
def test_a_chart_of_any_number_of_panels_fits_its_title_labels_and_note(db: Path, themes: int):
    """With one or two panels the title was cut at both sides and the note drawn over "Year of review": every
    text is inside the figure, and the note, the label of the years and the panels' tick labels do not overlap."""
    import matplotlib.pyplot as plt

    from pipeline.outputs.trends import draw_trends

    frame, info = theme_trends(db)
    frame = frame[frame["theme_name"].isin(list(dict.fromkeys(frame["theme_name"]))[:themes])]
    figure = draw_trends(frame, info)
    try:
        figure.canvas.draw()
        renderer = figure.canvas.get_renderer()
        whole = figure.bbox
        title, years, share = figure._suptitle, figure._supxlabel, figure._supylabel
        note = figure.texts[-1]
        assert "Reviews read per year" in note.get_text()
        boxes = {name: artist.get_window_extent(renderer)
                 for name, artist in (("title", title), ("years", years), ("share", share), ("note", note))}
        for name, box in boxes.items():
            assert whole.x0 <= box.x0 and box.x1 <= whole.x1 and whole.y0 <= box.y0 and box.y1 <= whole.y1, name
        assert boxes["note"].y1 <= boxes["years"].y0  # the note is under the label, not over it
        def shown(labels):
            return [label.get_window_extent(renderer) for label in labels if label.get_visible() and label.get_text()]

        years_ticks = [box for axes in figure.axes if axes.axison for box in shown(axes.get_xticklabels())]
        share_ticks = [box for axes in figure.axes if axes.axison for box in shown(axes.get_yticklabels())]
        assert years_ticks and min(box.y0 for box in years_ticks) >= boxes["years"].y1  # the label is under them
        assert share_ticks and min(box.x0 for box in share_ticks) >= boxes["share"].x1
    finally:
        plt.close(figure)


def test_trends_table_is_written_as_csv_excel_and_markdown_with_its_provenance(db: Path, tmp_path: Path):
    csv_out = run(trends_command, ["--out", str(tmp_path / "trends.csv")], db)
    assert csv_out.exit_code == 0, csv_out.output
    assert "Information sharing    1 (100%)" in csv_out.output  # the table is still printed
    assert f"is in {tmp_path / 'trends.csv.provenance.json'}" in csv_out.output
    table = pd.read_csv(tmp_path / "trends.csv", encoding="utf-8-sig")
    frame, _ = theme_trends(db)
    assert len(table) == len(frame)  # one row per year and theme, both measures
    sharing = table[table["theme"] == "information_sharing"].set_index("year")
    assert sharing["reviews_with_theme"].to_dict() == {2019: 1, 2020: 1, 2021: 1, 2022: 0}
    assert sharing["share_of_passages"].to_dict() == {2019: 0.3333, 2020: 0.5, 2021: 0.3333, 2022: 0.0}
    info = json.loads((tmp_path / "trends.csv.provenance.json").read_text(encoding="utf-8"))
    assert info["manifest_sha256"] == MANIFEST_SHA and info["theme_models"] == [THEME_MODEL]
    assert info["rows"] == len(frame) and "A passage carries a theme" in info["definition"]
    # every year here rests on fewer than 5 reviews: the table says so on each row, as the chart shades them
    assert list(table.columns)[4:6] == ["reviews_in_year", "few_reviews"] and table["few_reviews"].all()
    assert "Note: fewer than 5 reviews were read in every year: every share rests on very few" in info["notes"]

    book = run(trends_command, ["--nation", "Wales", "--out", str(tmp_path / "wales.xlsx")], db)
    assert book.exit_code == 0 and "on its Provenance sheet" in book.output
    sheets = pd.read_excel(tmp_path / "wales.xlsx", sheet_name=None)
    assert list(sheets) == ["Trends", "Columns", "Provenance"]
    about = dict(zip(sheets["Provenance"]["field"], sheets["Provenance"]["value"], strict=True))
    assert about["reviews"] == "nation Wales"

    page = run(trends_command, ["--measure", "passages", "--out", str(tmp_path / "trends.md")], db)
    assert page.exit_code == 0 and "at its top" in page.output
    text = (tmp_path / "trends.md").read_text(encoding="utf-8")
    assert text.startswith("# Passages carrying each theme, by year\n\n> Generated: ")
    assert "> Manifest: " in text and MANIFEST_SHA in text
    assert "| Theme | 2019 | 2020 | 2021 | 2022 |" in text
    assert "| Passages read | 3 | 2 | 3 | 2 |" in text
    assert "| Information sharing | 1 (33%) | 1 (50%) | 1 (33%) | 0 (0%) |" in text
    assert "Note: fewer than 5 reviews were read in every year: every share rests on very few" in text


def test_trends_say_what_rests_on_weak_tags_and_on_reviews_left_out_and_min_score_leaves_weak_tags_out(
        db: Path, tmp_path: Path):
    copy = altered_copy(db, tmp_path / "weak.duckdb",
                        "UPDATE passage_themes SET score = 0.3 WHERE theme = 'information_sharing'")
    plain = run(trends_command, [], copy)
    assert plain.exit_code == 0, plain.output
    assert "Information sharing    1 (100%)  1 (100%)  1 (100%)    0 (0%)" in plain.output  # weak tags count
    assert ("Note: 3 of the 11 times a review is counted for a theme rest only on weak tags (every one under 50%: "
            "the model was unsure); `--min-score 0.5` counts only tags of 50% or more.") in plain.output
    assert ("Note: 2 reviews in the database could not be read, so they are left out of every count "
            f"(`casereview status --db {copy}` says why).") in " ".join(plain.output.split())
    strict = run(trends_command, ["--min-score", "50%"], copy)
    assert strict.exit_code == 0, strict.output
    assert "Information sharing      0 (0%)    0 (0%)    0 (0%)    0 (0%)" in strict.output
    assert "tagged at least one of its passages with a probability of at least 50%" in strict.output
    assert "weak tags" not in strict.output
    lax = run(trends_command, ["--min-score", "0.2"], copy)  # under 50%: weak tags still counted, and said so
    assert "Note: 3 of the 11 times a review is counted for a theme rest only on weak tags" in lax.output
    assert "tagged at least one of its passages with a probability of at least 20%" in lax.output
    passages = run(trends_command, ["--measure", "passages", "--nation", "Wales"], copy)
    assert "Note: 1 of the " in passages.output and "tags counted are weak (under 50%" in passages.output
    assert "Note: 2 reviews" not in passages.output  # both unread reviews are English
    page = run(trends_command, ["--out", str(tmp_path / "t.md")], copy)
    assert f"Wrote {tmp_path / 't.md'}: the table as printed above;" in page.output
    assert "3 of the 11 times a review is counted" in (tmp_path / "t.md").read_text(encoding="utf-8")


def test_a_trends_chart_breaks_its_lines_at_years_without_reviews(db: Path):
    import matplotlib.pyplot as plt

    from pipeline.outputs.trends import draw_trends

    frame, info = theme_trends(db, nation="Wales")  # Welsh reviews of 2020 and 2022: none read in 2021
    figure = draw_trends(frame, info)
    try:
        assert "Hatched: no review read in 2021." in figure.texts[-1].get_text()
        assert "nation Wales" in figure._suptitle.get_text()
        plt.close(figure)
        frame, info = theme_trends(db, nation="Wales", min_score=0.5)
        figure = draw_trends(frame, info)
        assert figure._suptitle.get_text().endswith("nation Wales; tags of at least 50%")
        line = figure.axes[0].get_lines()[0]
        assert list(line.get_xdata()) == [2020, 2021, 2022] and np.isnan(line.get_ydata()[1])
    finally:
        plt.close(figure)


def test_trends_by_passages_counts_the_passages_each_theme_takes_up(db: Path, tmp_path: Path):
    result = run(trends_command, ["--measure", "passages", "--out", str(tmp_path / "passages.svg")], db)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Passages carrying each theme, by year")
    assert next(line for line in lines if line.startswith("Passages read")).split()[2:] == ["3", "2", "3", "2"]
    sharing = next(line for line in lines if line.startswith("Information sharing"))
    assert sharing.split()[2:] == ["1", "(33%)", "1", "(50%)", "1", "(33%)", "0", "(0%)"]
    assert "Share of the passages read that year" in (tmp_path / "passages.svg").read_text()
    assert "nearly every review carries" not in run(trends_command, [], db).output  # not so in the fixture
    bad = run(trends_command, ["--measure", "words"], db)
    assert bad.exit_code == 2 and "reviews" in bad.output and "passages" in bad.output


def test_trends_suggest_passages_when_nearly_every_review_carries_nearly_every_theme():
    from pipeline.outputs.trends import format_trends, saturated

    def frame(shares: list[float], reviews: int = 6):
        return pd.DataFrame({
            "year": [2020 + i // 2 for i in range(len(shares))], "theme": ["assessment", "legal_powers"] * 3,
            "theme_name": ["Assessment", "Legal powers"] * 3, "reviews_in_year": reviews,
            "reviews_with_theme": [round(reviews * x) for x in shares], "share_of_reviews": shares,
            "passages_in_year": 300, "passages_with_theme": 30, "share_of_passages": 0.1})

    info = {"theme_models": ["m"], "run_id": "r", "generated_at": "2026-12-05", "database": "db"}
    full = frame([1.0, 1.0, 1.0, 0.83, 1.0, 1.0])
    assert saturated(full) and "--measure passages" in format_trends(full, info)
    assert "--measure passages" not in format_trends(full, info, "passages")
    mixed = frame([1.0, 0.5, 0.67, 0.83, 1.0, 0.33])
    assert not saturated(mixed) and "--measure passages" not in format_trends(mixed, info)
    # years with too few reviews are not counted while some year has enough
    few = frame([1.0, 1.0, 1.0, 1.0, 0.5, 0.5])
    few.loc[4:, "reviews_in_year"] = 8
    few.loc[:3, "reviews_in_year"] = 2
    assert not saturated(few)


def test_trends_name_the_years_with_few_reviews_only_when_some_years_have_more():
    from pipeline.outputs.trends import format_trends

    frame = pd.DataFrame({
        "year": [2020, 2021, 2022], "theme": "assessment", "theme_name": "Assessment", "reviews_in_year": [2, 8, 3],
        "reviews_with_theme": 1, "share_of_reviews": 0.5, "passages_in_year": 300, "passages_with_theme": 30,
        "share_of_passages": 0.1})
    info = {"theme_models": ["m"], "run_id": "r", "generated_at": "2026-12-05", "database": "db"}
    assert ("Note: fewer than 5 reviews were read in 2020, 2022: shares in those years rest on very few reviews"
            in format_trends(frame, info))
    thin = format_trends(frame.assign(reviews_in_year=[2, 4, 3]), info)
    assert "Note: fewer than 5 reviews were read in every year: every share rests on very few reviews" in thin
    assert "2020, 2021, 2022" not in thin


def test_trends_for_some_reviews_only(db: Path):
    # Wales: Child T (2020) and Child W (2022); shares are out of the Welsh reviews of each year
    result = run(trends_command, ["--nation", "wales"], db)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "Reviews kept by the filters: nation wales." in lines
    assert next(line for line in lines if line.startswith("Theme")).split()[1:] == ["2020", "2022"]
    assert next(line for line in lines if line.startswith("Information sharing")).split()[2:] == [
        "1", "(100%)", "0", "(0%)"]
    frame, info = theme_trends(db, area="Northmoor", year_to=2020)
    assert sorted(frame["year"].unique()) == [2019]
    assert info["reviews"] == 'years up to 2020, area Northmoor Safeguarding Children Partnership'
    # no filter is what the view shows
    whole, info = theme_trends(db)
    assert info["reviews"] == "all" and len(whole) == rows(db, "SELECT count(*) FROM v_theme_trends")[0][0]
    bad = run(trends_command, ["--review-type", "inquest"], db)
    assert bad.exit_code == 2 and "no review has review type 'inquest'" in bad.output
    # filters that keep no review at all: it is the filters, not the tags, and the years and nations there are
    empty = run(trends_command, ["--year-from", "2023", "--nation", "Wales"], db)
    said = " ".join(empty.output.split())
    assert empty.exit_code == 2 and ("no review is kept by the filters (years from 2023, nation Wales): the "
                                     "database's reviews are from 2019–2022, of England, Wales. Try wider filters"
                                     ) in said
    assert "tagged" not in said
    # filters that keep only reviews that could not be read: that, and where to see why
    unread = run(trends_command, ["--area", "Westhaven"], db)
    said = " ".join(unread.output.split())
    assert unread.exit_code == 2 and ("keep 1 review, and it could not be read: `casereview status` says why"
                                      in said), said


@pytest.mark.parametrize(("command", "args", "then"), [
    (findings_command, ["--out", "{tmp}/findings.xlsx"], "their findings can be listed"),
    (export_command, ["--theme", "assessment", "--out", "{tmp}/e.md"], "their passages can be exported"),
    (searches_command, ["{tmp}/searches.txt", "--out", "{tmp}/s.xlsx"],
     "the searches can be run on them"),
])
def test_filters_that_keep_no_review_read_are_answered_as_trends_answers_them(db: Path, tmp_path: Path, command,
                                                                              args, then):
    # findings listed "0 findings in 0 of the 0 reviews read", and it and searches wrote empty files
    (tmp_path / "searches.txt").write_text("neglect\n", encoding="utf-8")
    typed = [arg.format(tmp=tmp_path) for arg in args]
    empty = run(command, [*typed, "--year-from", "2023", "--nation", "Wales"], db)
    assert empty.exit_code == 2 and ("no review is kept by the filters (years from 2023, nation Wales): the "
                                     "database's reviews are from 2019–2022, of England, Wales. Try wider filters"
                                     ) in " ".join(empty.output.split()), empty.output
    unread = run(command, [*typed, "--area", "Westhaven"], db)
    assert unread.exit_code == 2 and ("keep 1 review, and it could not be read: `casereview status` says why; "
                                      f"once that is put right and `casereview run` has read it, {then}."
                                      ) in " ".join(unread.output.split()), unread.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["searches.txt"]


def test_trends_say_the_counts_are_the_models_tags_and_how_far_to_trust_them(db: Path):
    # the trends table (and chart) was the one output with no word on how far the tags hold
    result = run(trends_command, [], db)
    said = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    assert "The counts are of the theme model's tags, not of what people found: a theme the model misses is not " \
           "counted" in said
    assert "Generated automatically. Theme tags are model predictions with probabilities, not findings" in said


def test_a_taxonomy_file_that_cannot_be_read_is_named_not_read_as_none(db: Path, broken_taxonomy: Path):
    # read as none, exports by a theme's name said "unknown theme" and reports named themes by their ids
    from pipeline.outputs import common

    result = run(export_command, ["--theme", "Voice of the child", "--format", "md"], db)
    assert result.exit_code == 2 and f"{broken_taxonomy}" in result.output
    assert "line " in result.output and "unknown theme" not in result.output, result.output
    broken_taxonomy.unlink()  # no taxonomy at all: the ids name the themes
    common._taxonomy_names.cache_clear()
    assert run(export_command, ["--theme", "voice_of_child", "--format", "md"], db).exit_code == 0


def test_trends_of_an_area_whose_whole_name_is_part_of_anothers_count_that_area_only(db: Path, tmp_path: Path):
    # the SQL that counts matched any part of the name: "Northmoor" counted Northmoor Safeguarding Children
    # Partnership's reviews with those of an area called Northmoor, while the filter line named one area
    copy = altered_copy(db, tmp_path / "two-northmoors.duckdb",
                        f"UPDATE reviews SET area = 'Northmoor' WHERE area = '{CWM_LLWYD}'")
    result = run(trends_command, ["--area", "northmoor"], copy)
    assert result.exit_code == 0, result.output
    assert "Reviews kept by the filters: area Northmoor." in result.output
    assert next(line for line in result.output.splitlines() if line.startswith("Theme")).split()[1:] == [
        "2020", "2022"]
    assert rows(copy, "SELECT DISTINCT year FROM theme_trends_for(NULL, NULL, NULL, NULL, 'NORTHMOOR') ORDER BY 1"
                ) == [(2020,), (2022,)]


def test_trends_json_has_one_record_per_year(db: Path):
    result = run(trends_command, ["--theme", "legal_powers", "--json"], db)
    records = [json.loads(line) for line in result.output.splitlines()]
    assert [(r["year"], r["reviews_with_theme"], r["reviews_in_year"]) for r in records] == [
        (2019, 0, 1), (2020, 1, 1), (2021, 0, 1), (2022, 0, 1)]
    assert all(r["few_reviews"] is True for r in records)  # one review a year: as the tables and chart say


# --------------------------------------------------------------------------- report


class _Page(HTMLParser):
    """Collects what the tests look at: section ids, headings, links and sources, scripts, text."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.headings: list[str] = []
        self.references: list[str] = []
        self.tags: set[str] = set()
        self.text: list[str] = []
        self._heading = False

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        attributes = dict(attrs)
        if tag == "section":
            self.sections.append(attributes.get("id", ""))
        self._heading = tag in ("h1", "h2", "h3")
        for name in ("src", "href", "xlink:href", "data", "action"):
            if name in attributes:
                self.references.append(attributes[name] or "")

    def handle_data(self, data):
        self.text.append(data)
        if self._heading:
            self.headings.append(data.strip())
            self._heading = False


def parse(path: Path) -> tuple[_Page, str]:
    page = _Page()
    source = path.read_text(encoding="utf-8")
    page.feed(source)
    return page, source


def test_report_for_an_area_has_every_section_and_no_external_resources(db: Path, tmp_path: Path):
    out = tmp_path / "northmoor-2021.html"
    result = run(report_command, ["--area", "northmoor", "--year", "2021", "--out", str(out)], db)
    assert result.exit_code == 0, result.output
    assert "2 reviews (1 read)" in result.output
    page, source = parse(out)
    # what a reader needs first (the warning) opens it; what it was made from closes it
    assert page.sections == ["reviews", "themes", "findings", "recommendations", "topics", "limits", "provenance"]
    assert source.index("check quotes against the source before publishing") < source.index('<section id="reviews"')
    assert page.headings[0] == f"Learning from case reviews: {NORTHMOOR}, 2021"
    text = " ".join(" ".join(page.text).split())
    # the review's own recommendations, from the section with that heading, with the page
    recommendations = text.partition("Recommendations What each review recommended")[2].partition("Topics")[0]
    assert "Family K: a child safeguarding practice review (2021) The partnership should audit how schools " \
           "record concerns. p. 7" in recommendations
    assert "Child D" not in recommendations  # 2019: not in scope
    # provenance
    assert run_id(db) in text and MANIFEST_SHA in text and THEME_MODEL in text
    assert "check quotes against the source before publishing" in text
    # reviews in scope, with their status
    assert "Family K: a child safeguarding practice review" in text and "Child M: rapid review" in text
    assert "needs OCR (scanned or unreadable text)" in text
    # themes: area share against the whole database, chart, strongest quotes with citations
    assert "<svg" in source and "Parental difficulties" in text
    assert "Mother's alcohol misuse and depression affected her parenting." in text
    assert "Family K: a child safeguarding practice review · p. 3 · section “Family background” · probability 90%" \
        in text
    assert "1 of 1 review here (100%) against 25% of all reviews" in text
    # no topic model yet; limits name the unread review
    assert "No topic model has been run" in text
    assert "northmoor-2021-child-m" in text.split("Limits", 1)[1]
    # self-contained: no scripts, no links to load, no external references, print styles
    assert not {"script", "link", "img", "iframe"} & page.tags
    assert not [ref for ref in page.references if ref.startswith(("http:", "https:", "//"))]
    assert "http://" not in source and "https://" not in source
    assert "/passage?" not in source  # (the summary in the browser links its quotes to the site's passages)
    assert "@media print" in source
    # readable by screen readers: every table has a caption, every column header says it is one
    assert source.count("<table>") == source.count("<table><caption>") >= 2
    assert "<th>" not in source and "<th class" not in source
    # on a phone (375 px) the page never scrolls sideways: tables scroll in their own box, the chart shrinks
    assert source.count("<table>") == source.count('<div class="wide"><table>')
    assert ".wide { overflow-x: auto; max-width: 100%; }" in source
    assert ".chart { max-width: 100%; height: auto; }" in source


def altered_copy(db: Path, copy: Path, statement: str) -> Path:
    """A copy of the database ``db`` at ``copy``, changed by one SQL ``statement``."""
    shutil.copy(db, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute(statement)
    return copy


def test_excel_files_hold_text_that_looks_like_a_formula_as_text_and_drop_what_excel_cannot_hold(
        db: Path, tmp_path: Path):
    # a title planted by a PDF's metadata, and words typed (or pasted from Word, with its vertical tab)
    formula = '=HYPERLINK("http://evil.example/","Family K")'
    copy = altered_copy(db, tmp_path / "formula.duckdb",
                        f"UPDATE reviews SET title = '{formula.replace(chr(39), chr(39) * 2)}' "
                        "WHERE review_id = 'northmoor-2021-family-k'")
    out = tmp_path / "sharing.xlsx"
    assert run(export_command, ["--theme", "information_sharing", "--out", str(out)], copy).exit_code == 0
    cells = [cell for sheet in openpyxl.load_workbook(out) for row in sheet.iter_rows() for cell in row]
    planted = [cell for cell in cells if cell.value == formula]
    assert planted and all(cell.data_type == "s" for cell in planted)  # shown as written, never run
    assert not [cell for cell in cells if cell.data_type == "f"]

    out = tmp_path / "found.xlsx"
    result = run(search_command, ["information\x0bschool", "--out", str(out)], copy)
    assert result.exit_code == 0, result.output
    values = [cell.value for sheet in openpyxl.load_workbook(out) for row in sheet.iter_rows() for cell in row]
    assert "information school" in values  # the query, as it was searched, without the character Excel refuses


def test_csv_files_for_people_hold_a_formula_as_text_and_markdown_shows_html_as_written(db: Path, tmp_path: Path):
    # a review's details come from a manifest or a PDF's metadata, which anyone may have written
    formula = '=HYPERLINK("http://evil.example/","Family K")'
    copy = altered_copy(db, tmp_path / "formula.duckdb",
                        f"UPDATE reviews SET title = '{formula.replace(chr(39), chr(39) * 2)}', "
                        "area = '@SUM(1+1) <script>alert(1)</script>' WHERE review_id = 'northmoor-2021-family-k'")
    out = tmp_path / "sharing.csv"
    assert run(export_command, ["--theme", "information_sharing", "--out", str(out)], copy).exit_code == 0
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert "'" + formula in set(table["review"]) and formula not in set(table["review"])
    assert not [cell for cell in table.to_numpy().ravel() if str(cell).startswith(("=", "@"))]
    assert pd.api.types.is_numeric_dtype(table["probability"])  # numbers stay numbers
    out = tmp_path / "titles.csv"
    assert run(sql_command, ["SELECT title, area, -1 AS minus FROM reviews ORDER BY title", "--out", str(out)],
               copy).exit_code == 0
    first = pd.read_csv(out, encoding="utf-8-sig").iloc[0].to_dict()
    assert first == {"title": "'" + formula, "area": "'@SUM(1+1) <script>alert(1)</script>", "minus": -1}
    # what is printed is for programs: as it is
    printed = run(sql_command, ["SELECT title FROM reviews ORDER BY title LIMIT 1", "--format", "csv"], copy)
    assert formula.replace('"', '""') in printed.output

    out = tmp_path / "sharing.md"
    assert run(export_command, ["--theme", "information_sharing", "--out", str(out)], copy).exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert "@SUM(1+1) &lt;script>alert(1)&lt;/script>" in text and "<script>" not in text


def test_markdown_tables_give_the_page_numbers_the_review_prints_as_the_terminal_does(db: Path, tmp_path: Path):
    # a cover and a contents page before page 1: a quote is cited by the number printed on its page
    copy = altered_copy(db, tmp_path / "printed.duckdb", "UPDATE pages SET printed = page + 10")
    for command, args in ((export_command, ["--theme", "information_sharing"]), (search_command, ["information"]),
                          (searches_command, [str(tmp_path / "s.txt")])):
        (tmp_path / "s.txt").write_text("information\n", encoding="utf-8")
        out = tmp_path / f"{command.name}.md"
        result = run(command, [*args, "--out", str(out)], copy)
        assert result.exit_code == 0, result.output
        text = out.read_text(encoding="utf-8")
        assert re.search(r"\| (\d+) \(printed as page 1\d\) \|", text), (command.name, text[-600:])


def test_an_area_written_with_and_is_found_by_an_ampersand_and_the_other_way(db: Path, tmp_path: Path):
    # partnerships are written both ways ("Brighton & Hove", "Brighton and Hove"), even in one manifest: either
    # finds both, and they are one area
    copy = altered_copy(db, tmp_path / "amp.duckdb", "UPDATE reviews SET area = CASE WHEN year = 2019 THEN "
                        "'Northmoor & Dale  Partnership' ELSE 'Northmoor and Dale Partnership' END "
                        "WHERE area LIKE 'Northmoor%'")
    both = {"Northmoor & Dale  Partnership", "Northmoor and Dale Partnership"}
    for typed in ("northmoor and dale partnership", "Northmoor &Dale", "NORTHMOOR & DALE PARTNERSHIP",
                  "Northmoor\u00a0& Dale"):
        listed = run(reviews_command, ["--area", typed, "--json"], copy)
        assert listed.exit_code == 0, listed.output
        assert {json.loads(line)["area"] for line in listed.output.splitlines()} == both
        found = run(search_command, ["information sharing", "--area", typed, "--json"], copy)
        assert found.exit_code == 0 and found.output.strip(), found.output
        assert {json.loads(line)["review_id"].split("-")[0] for line in found.stdout.splitlines()} == {"northmoor"}
        out = tmp_path / "r.html"
        result = run(report_command, ["--area", typed, "--year", "2019-2021", "--out", str(out)], copy)
        assert result.exit_code == 0, result.output
        page = out.read_text(encoding="utf-8")
        assert "Northmoor &amp; Dale  Partnership" in page  # (named by its first spelling)
        assert "Child D: a child safeguarding practice review" in page and "Family K" in page  # both spellings'
        frame, _ = theme_trends(copy, area=typed)
        assert set(frame["year"]) == {2019, 2021}  # the Northmoor reviews read
    # the exact name of one spelling finds the reviews of both, and a part of the name is one area, not several
    exact = run(report_command, ["--area", "Northmoor and Dale Partnership", "--year", "2019", "--out",
                                 str(tmp_path / "e.html")], copy)
    assert exact.exit_code == 0, exact.output
    part = run(report_command, ["--area", "northmoor", "--year", "2021", "--out", str(tmp_path / "p.html")], copy)
    assert part.exit_code == 0 and "matches several areas" not in part.output, part.output
    assert run(reviews_command, ["--area", "Northmoor and Vale"], copy).exit_code == 2


def test_report_says_when_a_quoted_tag_is_weak(db: Path, tmp_path: Path):
    copy = altered_copy(db, tmp_path / "weak.duckdb", "UPDATE passage_themes SET score = 0.44 WHERE review_id = "
                        "'northmoor-2021-family-k' AND theme = 'parental_factors'")
    result = run(report_command, ["--area", "Northmoor", "--year", "2021", "--out", str(tmp_path / "r.html")], copy)
    assert result.exit_code == 0, result.output
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "probability 44% (model " in html and "under 50%: a weak tag, the model is unsure" in html
    assert html.count("a weak tag") == html.count("probability 44% (model")  # only the weak quotes say so


def test_report_marks_a_theme_resting_on_few_passages_or_unsure_tags_as_thin_evidence(db: Path, tmp_path: Path):
    """A theme tagged in one or two passages here, or only in tags under 70%, is not shown as established: the
    command's summary, the table, the chart and the theme's quotes say so, with what to do; a theme with three
    passages, one of them 70% or more, is not marked."""
    out = tmp_path / "r.html"
    result = run(report_command, ["--area", "Northmoor", "--year", "2021", "--out", str(out)], db)
    assert result.exit_code == 0, result.output
    assert "2 themes found (2 on thin evidence, marked *: Information sharing; Parental difficulties)." \
        in " ".join(result.output.split())
    page, source = parse(out)
    text = " ".join(" ".join(page.text).split())
    assert "Strongest evidence" not in text
    table = text.partition("against all reviews")[2].partition("The passages behind each theme")[0]
    assert "Information sharing thin evidence: 1 passage, probability 74%: read it before counting it 1 of 1" in table
    assert "Parental difficulties thin evidence: 2 passages, the best at probability 90%: read them before " \
           "counting it 1 of 1" in table
    assert "Parental difficulties * Thin evidence: 2 passages, the best at probability 90%: read them before " \
           "counting it. 1 of 1 review here" in text
    assert "Parental difficulties *</text>" in source and "* thin evidence here: read its passages below" in text
    # three passages, the best at 90%: established; three passages all under 70%: thin
    strong = altered_copy(db, tmp_path / "strong.duckdb", """
        INSERT INTO passage_themes VALUES ('northmoor-2021-family-k-p3', 'northmoor-2021-family-k',
                                           'parental_factors', 0.65, 'themes-test-1.0')""")
    assert run(report_command, ["--area", "Northmoor", "--year", "2021", "--out", str(out)], strong).exit_code == 0
    text = " ".join(" ".join(parse(out)[0].text).split())
    assert "Parental difficulties 1 of 1" in text and "Parental difficulties *" not in text
    unsure = altered_copy(strong, tmp_path / "unsure.duckdb", "UPDATE passage_themes SET score = 0.68 WHERE "
                          "theme = 'parental_factors' AND passage_id = 'northmoor-2021-family-k-p2'")
    assert run(report_command, ["--area", "Northmoor", "--year", "2021", "--out", str(out)], unsure).exit_code == 0
    text = " ".join(" ".join(parse(out)[0].text).split())
    assert "Parental difficulties * Thin evidence: 3 passages, the best at probability 68%: read them" in text


def test_report_charts_shares_of_passages_when_nearly_every_review_carries_nearly_every_theme(db: Path,
                                                                                             tmp_path: Path):
    """Shares of reviews say little when every review read carries every theme (one tagged passage is enough):
    the chart then shows the shares of passages, on a scale that tells them apart, and its caption says why;
    otherwise it shows shares of reviews, to 100%."""
    out = tmp_path / "r.html"
    assert run(report_command, ["--area", "northmoor", "--year", "2018-2021", "--out", str(out)], db).exit_code == 0
    page, source = parse(out)
    assert 'aria-label="Share of reviews carrying each theme"' in source and ">100%</text>" in source
    assert "chart shows shares of passages" not in " ".join(page.text)
    themes = list(theme_names())
    values = ", ".join(f"('{review}-p1', '{review}', '{theme}', 0.9, 'themes-test-1.0')"
                       for review in ("northmoor-2019-child-d", "northmoor-2021-family-k") for theme in themes)
    full = altered_copy(db, tmp_path / "full.duckdb", f"""
        INSERT INTO passage_themes SELECT * FROM (VALUES {values}) v(p, r, t, s, m)
        WHERE NOT EXISTS (SELECT 1 FROM passage_themes WHERE passage_id = v.p AND theme = v.t)""")
    assert run(report_command, ["--area", "northmoor", "--year", "2018-2021", "--out", str(out)], full).exit_code == 0
    page, source = parse(out)
    text = " ".join(" ".join(page.text).split())
    assert 'aria-label="Share of passages tagged with each theme"' in source
    assert "Share of passages tagged with each theme: " + NORTHMOOR in text
    assert "Nearly every review here carries nearly every theme, because one tagged passage is enough, so the " \
           "chart shows shares of passages" in text
    # the bars' numbers are the table's shares of passages, one decimal, and the scale ends at the next step up
    shares = rows(full, """SELECT theme, count(*) FILTER (WHERE review_id LIKE 'northmoor-20%') FROM passage_themes
                           GROUP BY theme""")
    read = rows(full, "SELECT count(*) FROM passages WHERE review_id LIKE 'northmoor-20%'")[0][0]
    chart = source.partition("<svg")[2].partition("</svg>")[0]
    for _theme, passages in shares:
        assert f">{percent(passages / read, 1)}</text>" in chart
    top = max(passages / read for _, passages in shares)
    assert f">{next(end for end in CHART_TOPS if top <= end):.0%}</text>" in chart


def test_report_says_what_a_quote_scores_alone_when_it_is_well_below_its_passage(db: Path, tmp_path: Path):
    """The probability beside a quote is its passage's; when the quoted sentence alone scores materially less
    (20 points, or under 50%), the report says both, in the words of the evidence export."""
    copy = altered_copy(db, tmp_path / "alone.duckdb", "UPDATE theme_evidence SET score = 0.62 WHERE passage_id = "
                        "'northmoor-2021-family-k-p2' AND theme = 'parental_factors'")
    out = tmp_path / "r.html"
    assert run(report_command, ["--area", "Northmoor", "--year", "2021", "--out", str(out)], copy).exit_code == 0
    text = " ".join(" ".join(parse(out)[0].text).split())
    assert ("section “Family background” · probability 90% for the passage; the quoted sentence: alone it scores "
            f"62% (model {THEME_MODEL})") in text
    assert f"section “Findings” · probability 74% (model {THEME_MODEL})" in text  # its sentence scores near it
    table = export_theme(copy, "parental_factors", "csv").text
    assert "evidence sentence, alone it scores 62%" in table


def test_report_marks_quotes_and_reviews_read_by_ocr(db: Path, tmp_path: Path):
    """Only quotes from a page read by OCR carry the OCR note; the review's status and the limits say how many
    of its pages were read that way."""
    copy = tmp_path / "with-ocr.duckdb"
    shutil.copy(db, copy)
    with duckdb.connect(str(copy)) as con:  # Family K's page 3 was a scan
        con.execute("UPDATE pages SET ocr = true, ocr_confidence = 88 "
                    "WHERE review_id = 'northmoor-2021-family-k' AND page = 3")
    out = tmp_path / "northmoor-2021.html"
    result = run(report_command, ["--area", "northmoor", "--year", "2021", "--out", str(out)], copy)
    assert result.exit_code == 0, result.output
    text = " ".join(" ".join(parse(out)[0].text).split())
    note = "read by OCR: check the words against the PDF"
    # the page-3 quote is marked; the page-2 quote of the same review is not
    assert f"section “Family background” · probability 90% (model {THEME_MODEL}) · {note}" in text
    assert f"section “Findings” · probability 74% (model {THEME_MODEL}) Parental" in text
    assert text.count(note) == 1
    assert "read (1 page by OCR)" in text
    limits = text.split("Limits", 1)[1]
    assert "read by optical character recognition (OCR): Family K: a child safeguarding practice review: 1 page" \
        in limits
    # the report of the same database without OCR pages says nothing of OCR
    plain = tmp_path / "plain.html"
    assert run(report_command, ["--area", "northmoor", "--year", "2021", "--out", str(plain)], db).exit_code == 0
    assert "OCR)" not in plain.read_text(encoding="utf-8") and note not in plain.read_text(encoding="utf-8")


def test_report_shows_topics_when_the_topic_tables_exist(db: Path, tmp_path: Path):
    copy = tmp_path / "with-topics.duckdb"
    shutil.copy(db, copy)
    with duckdb.connect(str(copy)) as con:  # the layout of migration 004 (created here if it is not there)
        con.execute("CREATE TABLE IF NOT EXISTS topics (topic_id INTEGER, label VARCHAR, terms VARCHAR[], "
                    "size INTEGER, model_version VARCHAR)")
        con.execute("CREATE TABLE IF NOT EXISTS passage_topics (passage_id VARCHAR, topic_id INTEGER, "
                    "probability DOUBLE, model_version VARCHAR)")
        for version, label in (("topics-old", "an older model"), ("topics-t1", "alcohol_parenting")):
            con.execute("INSERT INTO topics (topic_id, label, terms, size, model_version) VALUES "
                        "(0, ?, ['alcohol', 'parenting'], 2, ?), (-1, 'outliers', [], 5, ?)",
                        [label, version, version])
            con.execute("INSERT INTO passage_topics (passage_id, topic_id, probability, model_version) VALUES "
                        "('northmoor-2021-family-k-p2', 0, 0.8, ?), ('northmoor-2021-family-k-p1', -1, 0.3, ?)",
                        [version, version])
    out = tmp_path / "topics.html"
    assert run(report_command, ["--area", "Northmoor", "--year", "2021", "--out", str(out)], copy).exit_code == 0
    text = " ".join(" ".join(parse(out)[0].text).split())
    topics = text.split("Topics", 1)[1].split("Limits", 1)[0]
    assert "alcohol_parenting alcohol, parenting 1 0.80" in topics and "topics-t1" in topics
    assert "it is not a probability" in topics and "80%" not in topics  # closeness, not confidence
    assert "outliers" not in topics and "an older model" not in topics
    # an area none of whose reviews could be read: no passages to place, said as every other section says it
    unread = tmp_path / "unread.html"
    assert run(report_command, ["--area", "Westhaven", "--year", "2022", "--out", str(unread)], copy).exit_code == 0
    text = " ".join(" ".join(parse(unread)[0].text).split())
    topics = text.split("Topics", 2)[-1].split("Limits", 1)[0]
    assert "No review in scope could be read" in topics and "placed none" not in topics


def test_report_escapes_text_from_the_documents(db: Path, tmp_path: Path):
    copy = altered_copy(db, tmp_path / "odd.duckdb", "UPDATE reviews SET title = '<script>alert(1)</script> & "
                        "Family K' WHERE review_id = 'northmoor-2021-family-k'")
    out = tmp_path / "odd.html"
    assert run(report_command, ["--area", "Northmoor", "--year", "2021", "--out", str(out)], copy).exit_code == 0
    page, source = parse(out)
    assert "script" not in page.tags and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Family K" in source


@pytest.mark.parametrize(("area", "year", "message"), [
    ("Northmor", "2021", "there are no reviews for the area 'Northmor'. Closest area names: " + NORTHMOOR),
    ("Cwm Lwyd", "2020", "Closest area names: " + CWM_LLWYD),
    ("Northmoor", "2020", f"{NORTHMOOR} has no reviews from 2020. Years with reviews for {NORTHMOOR}: 2019, 2021. "
                          "The nearest are 2019 and 2021."),  # as near as each other: both named
    ("Cwm Llwyd", "2030", "Years with reviews for Cwm Llwyd Regional Safeguarding Board: 2020, 2022. The nearest is "
                          "2022."),
    ("Safeguarding", "2021", "matches several areas"),
    # nothing like any area, or nothing at all: the areas there are (a few, so listed)
    ("Nowhere", "2021", "there are no reviews for the area 'Nowhere'. The areas in the database are: "),
    ("", "2021", "--area is empty: give the name of the partnership or local authority"),
])
def test_report_for_an_unknown_area_or_year_says_so_and_writes_nothing(
    db: Path, tmp_path: Path, area: str, year: str, message: str
):
    out = tmp_path / "report.html"
    result = run(report_command, ["--area", area, "--year", year, "--out", str(out)], db)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert not out.exists()


@pytest.mark.parametrize(("command", "args"), [
    (trends_command, []), (export_command, ["--theme", "assessment", "--out", "{tmp}/x.csv"]), (findings_command, []),
    (search_command, ["child"]), (reviews_command, []), (label_sheet_command, ["--out", "{tmp}/sheet.xlsx"]),
])
def test_part_of_a_name_several_areas_share_is_refused_by_every_command_naming_them(db: Path, tmp_path: Path,
                                                                                     command, args):
    # "Vale" counted Ashcombe and Vale's reviews with Carnlough Vale's, unsaid (only `report` refused it); a
    # partnership's own figures must be of its own reviews
    typed = [arg.format(tmp=tmp_path) for arg in args]
    result = run(command, [*typed, "--area", "safeguarding"], db)
    assert result.exit_code == 2, result.output
    assert (f"'safeguarding' matches several areas: {CWM_LLWYD}; {NORTHMOOR}; Westhaven Safeguarding Children "
            "Partnership. Give more of the name, so that the figures are of one area only.") in " ".join(
        result.output.split())
    assert not list(tmp_path.iterdir())
    one = run(command, [*typed, "--area", "northmoor"], db)
    assert one.exit_code == 0, one.output


def test_an_unknown_area_never_sends_people_to_sql_and_keeps_their_database(db: Path, tmp_path: Path, monkeypatch):
    """Too many areas to list: the error points to the list of reviews of `casereview serve` for this database,
    not to an SQL query on the default one; an unknown review id given to `remove` or `similar` likewise."""
    from pipeline.cli import main

    monkeypatch.setattr("pipeline.outputs.report.AREAS_LISTED", 1)
    result = run(report_command, ["--area", "Nowhere", "--year", "2021", "--out", str(tmp_path / "r.html")], db)
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert f"The database has 3 areas: each review's is shown in `casereview reviews --db {db}`" in said
    assert ", or the list \"The reviews\" (at the top of each page) " \
           f"of the web page that `casereview serve --db {db}` opens." in said
    for args in (["remove", "northmoor-2021-child"], ["similar", "northmoor-2021-child"]):
        result = CliRunner().invoke(main, [*args, "--db", str(db)])
        said = " ".join(result.output.split())
        assert result.exit_code == 2 and "Closest review ids: northmoor-2021-child-m" in said, said
        assert f"`casereview serve --db {db}` opens" in said and "casereview sql" not in said


def test_report_for_a_span_of_years(db: Path, tmp_path: Path):
    # Northmoor has a review in 2019 and one in 2021: a span takes both, and says so
    out = tmp_path / "northmoor.html"
    result = run(report_command, ["--area", "northmoor", "--year", "2018-2021", "--out", str(out)], db)
    assert result.exit_code == 0, result.output
    assert f"{NORTHMOOR}, 2018–2021 — 3 reviews (2 read)" in result.output  # Child M (2021) needs OCR
    text = " ".join(" ".join(parse(out)[0].text).split())
    assert f"Learning from case reviews: {NORTHMOOR}, 2018–2021" in text
    assert "The reviews of this area and these years" in text
    assert "northmoor-2019-child-d" in text and "northmoor-2021-family-k" in text
    # listed by year, not by title: the 2019 review is retitled to sort after the 2021 ones
    retitled = altered_copy(db, tmp_path / "retitled.duckdb",
                            "UPDATE reviews SET title = 'Zed review' WHERE review_id = 'northmoor-2019-child-d'")
    assert run(report_command, ["--area", "northmoor", "--year", "2018-2021", "--out", str(out)],
               retitled).exit_code == 0
    scope = " ".join(" ".join(parse(out)[0].text).split()).split("Reviews in scope", 1)[1]
    assert scope.index("northmoor-2019-child-d") < scope.index("northmoor-2021-family-k")  # by year
    for years, message in (("2022 to 2024", f"{NORTHMOOR} has no reviews from 2022–2024. Years with reviews for "
                                            f"{NORTHMOOR}: 2019, 2021. The nearest is 2021."),
                           ("2021-2019", "run backwards"), ("last year", "is not a year"),
                           ("2020/21", "reads as a financial year, but reviews are counted by the year in the "
                                       "manifest's year column, not by financial year: give 2020-2021")):
        bad = run(report_command, ["--area", "northmoor", "--year", years, "--out", str(out)], db)
        assert bad.exit_code == 2 and message in bad.output, bad.output


def test_report_needs_an_html_file_name(db: Path, tmp_path: Path):
    result = run(report_command, ["--area", "Northmoor", "--year", "2021", "--out", str(tmp_path / "r.pdf")], db)
    assert result.exit_code == 2 and ".html" in result.output and "save it as PDF" in result.output


def test_report_says_it_uses_the_earlier_copy_of_a_review_whose_new_copy_failed(db: Path, tmp_path: Path):
    """A changed PDF that fails keeps the text read before (nothing is lost): the summary counts and quotes it,
    and says so, rather than calling the review unread while quoting it."""
    copy = altered_copy(db, tmp_path / "stale.duckdb", "UPDATE documents SET status = 'failed', error = 'the PDF "
                        "is damaged' WHERE review_id = 'northmoor-2021-family-k'")
    out = tmp_path / "r.html"
    result = run(report_command, ["--area", "Northmoor", "--year", "2021", "--out", str(out)], copy)
    assert result.exit_code == 0, result.output
    text = " ".join(" ".join(parse(out)[0].text).split())
    assert "newest copy could not be read: the copy read before is used" in text
    assert "Mother's alcohol misuse and depression affected her parenting." in text  # still quoted
    limits = text.split("Limits", 1)[1]
    used, _, unread = limits.partition("counts and quotes the copy read before it")[2].partition("Child M")
    assert "Family K: a child safeguarding practice review (northmoor-2021-family-k) — the PDF is damaged" in used
    assert ("This review in scope could not be read, so nothing from it is counted"
            in limits.split("counts and quotes")[0])
    assert "northmoor-2021-family-k" not in limits.split("counts and quotes")[0]  # not among the unread


def test_report_of_reviews_none_of_which_could_be_read_says_so_in_every_section(db: Path, tmp_path: Path):
    out = tmp_path / "westhaven.html"
    result = run(report_command, ["--area", "Westhaven", "--year", "2022", "--out", str(out)], db)
    assert result.exit_code == 0, result.output
    assert "1 review (0 read)" in result.output
    assert "Note: this review could not be read, so the report has no themes, findings or recommendations" in \
        " ".join(result.output.split())
    text = " ".join(" ".join(parse(out)[0].text).split())
    findings = text.split("Findings", 1)[1].split("Recommendations", 1)[0]
    recommendations = text.split("Recommendations What each", 1)[1].split("Topics", 1)[0]
    for section in (findings, recommendations):
        assert "No review in scope could be read" in section and "None of these reviews" not in section
    assert "This review in scope could not be read, so nothing from it is counted" in text.split("Limits", 1)[1]


@pytest.mark.parametrize(("heading", "listed"), [
    ("Finding 1: Information was not shared", True),
    ("3.2 Key learning 4: Escalation", True),
    ("Theme 2: Drift in planning", True),  # Scottish learning reviews number their findings as themes
    ("Key theme 1 - Neglect was not recognised", True),
    ("Area for improvement 3: Recording", True), ("Areas for development 2 - Supervision", True),
    ("Themes", False), ("The theme of neglect", False), ("Area 2 of the county", False), ("Findings", False),
])
def test_findings_view_takes_the_headings_that_number_a_finding(db: Path, tmp_path: Path, heading: str,
                                                                 listed: bool):
    copy = altered_copy(db, tmp_path / "findings.duckdb", f"UPDATE passages SET section = '{heading}' "
                        "WHERE passage_id = 'northmoor-2019-child-d-p1'")
    assert rows(copy, "SELECT finding FROM v_review_findings") == ([(heading,)] if listed else [])


@pytest.mark.parametrize(("chapter", "heading", "listed"), [
    # a Welsh child practice review states its findings as the subheadings of this chapter
    ("5. Practice and organisational learning", "5.1 The mother's illness was not understood", True),
    ("Findings", "Assessment of the risk from the father", True),
    ("6. Analysis and findings", "Drift in planning", True), ("Key themes and learning", "Neglect was missed", True),
    ("Lessons learned", "Schools were not told", True), ("Areas for development", "Supervision", True),
    ("Findings", "Introduction to the findings", False), ("Findings", "Good practice", False),
    ("4. Learning", "4.3 Conclusions", False), ("Learning and recommendations", "Schools", False),
    ("Learning event", "Who came", False), ("Chronology", "Assessment of the risk", False),
    ("Shared learning", "What went well", False), ("Key findings", "Strengths in practice", False),
    # a serious case review's "Analysis", a rapid review's "What the review found", "Themes" (migration 018)
    ("5. Analysis", "Information that was not shared", True), ("Analysis", "Hearing Child P", True),
    ("6. What the review found", "6.1 The discharge plan depended on support that ended", True),
    ("Key themes", "Neglect was missed", True), ("6. What the review found", "6.3 What went well", False),
    ("5. Analysis", "Introduction", False), ("Analysis", "Police", False), ("Analysis", "Period 1: 2018", False),
    ("Data analysis", "Assessment of the risk", False),
    # an agency or a period is where a finding was found, not a finding (migration 015)
    ("Findings", "Police", False), ("6. Analysis and findings", "6.2 Children’s social care", False),
    ("Findings", "4.2 Health visiting service", False), ("Learning", "Adult mental health services", False),
    ("Findings", "The school", False), ("Lessons learned", "Youth justice service's involvement", False),
    ("Findings", "Period 2: March 2018 to June 2019", False), ("Key findings", "2019 - 2020", False),
    ("Findings", "From January 2017 to present", False), ("Findings", "2019/20", False),
    ("Findings", "Key practice episode 1", False),
    # a subheading that says something of the agency is a finding
    ("Findings", "Police did not share the call-outs with the school", True),
    ("Findings", "Lack of support services", True), ("Learning", "Health needs were overlooked", True),
    # a service or organisation named by its proper name (migration 016) is not a finding either ...
    ("Findings", "Brookside Family Centre", False), ("Findings", "West Yorkshire Police", False),
    ("6. Analysis and findings", "6.3 Riverside Primary School", False),
    ("Findings", "Westfield Medical Practice", False), ("Findings", "Northmoor NHS Foundation Trust", False),
    ("Learning", "The Youth Project", False), ("Findings", "St Mary’s Academy", False),
    # ... but a heading in title case that says something, or names no such thing, still is
    ("Findings", "Delays at the Hospital", True), ("Findings", "Missed Appointments at the Surgery", True),
    ("Findings", "Building trust", True), ("Findings", "Relationships And Trust", True),
    ("Findings", "Reflective Supervision Practice", True), ("Findings", "Transition To Secondary School", True),
    ("Findings", "delays at hospital", True),
])
def test_findings_view_takes_the_headings_under_a_chapter_of_findings(db: Path, tmp_path: Path, chapter: str,
                                                                       heading: str, listed: bool):
    copy = altered_copy(db, tmp_path / "chapter.duckdb", """
        UPDATE passages SET section = $2, headings = [$1, $2] WHERE passage_id = 'northmoor-2019-child-d-p1';
        UPDATE passages SET section = $1, headings = [$1] WHERE passage_id = 'northmoor-2019-child-d-p2'
        """.replace("$1", "'" + chapter.replace("'", "''") + "'").replace("$2", "'" + heading.replace("'", "''") + "'"))
    assert rows(copy, "SELECT finding FROM v_review_findings") == ([(heading,)] if listed else [])


@pytest.mark.parametrize(("heading", "in_passing"), [
    # Welsh child practice reviews set out their recommendations under "Improving systems and practice"
    ("6. Improving Systems and Practice", "Improving practice in schools"),
    # a rapid review under "Actions agreed" (migration 018); an action in passing is not one
    ("8. Actions agreed", "Actions taken by the police"),
])
def test_the_headings_other_reviews_set_recommendations_under_are_recommendations(db: Path, tmp_path: Path,
                                                                                   heading: str, in_passing: str):
    copy = altered_copy(db, tmp_path / "other.duckdb", f"""
        UPDATE passages SET section = '{heading}', headings = NULL WHERE passage_id = 'cwm-llwyd-2020-child-t-p2';
        UPDATE passages SET section = '{in_passing}', headings = NULL WHERE passage_id = 'cwm-llwyd-2020-child-t-p1'""")
    assert rows(copy, "SELECT passage_id FROM v_review_recommendations WHERE review_id = 'cwm-llwyd-2020-child-t'") \
        == [("cwm-llwyd-2020-child-t-p2",)]
    # and --section recommendations keeps them, as it keeps passages under a heading with the word
    found = run(search_command, ["--theme", "information_sharing", "--section", "recommendations", "--json"], copy)
    assert found.exit_code == 0, found.output
    assert "cwm-llwyd-2020-child-t-p2" in {json.loads(line)["passage_id"] for line in found.output.splitlines()}
    other = run(search_command, ["--theme", "information_sharing", "--section", in_passing, "--json"], copy)
    assert "cwm-llwyd-2020-child-t-p2" not in other.output


def test_findings_and_recommendations_views_look_at_every_heading_a_passage_is_under(db: Path, tmp_path: Path):
    # A review that sets subheadings under each finding ("Finding 1: ..." > "Why this matters") states the finding
    # in a heading above the passages' own section: it is listed, on the page of its first passage. So are the
    # passages under a subheading of the recommendations ("Recommendations" > "For the local authority").
    copy = altered_copy(db, tmp_path / "under.duckdb", """
        UPDATE passages SET section = 'Why this matters',
                            headings = ['Findings', 'Finding 1: Information was not shared', 'Why this matters']
        WHERE passage_id = 'northmoor-2019-child-d-p1';
        UPDATE passages SET section = 'For the local authority',
                            headings = ['Recommendations', 'For the local authority']
        WHERE passage_id = 'northmoor-2019-child-d-p2'""")
    assert rows(copy, "SELECT finding, page, passage_id FROM v_review_findings") == [
        ("Finding 1: Information was not shared", 3, "northmoor-2019-child-d-p1")]
    assert ("northmoor-2019-child-d-p2",) in rows(copy, "SELECT passage_id FROM v_review_recommendations")
    # passages stored before headings were recorded (NULL) are judged by their section, as before
    assert rows(copy, "SELECT count(*) FROM passages WHERE headings IS NULL")[0][0] > 0
    # and the search, its saved table and the evidence export show the headings above the section
    found = run(search_command, ["referral", "--area", "Northmoor"], copy)
    assert "section: Findings › Finding 1: Information was not shared › Why this matters" in found.output
    out = tmp_path / "maw.csv"
    assert run(export_command, ["--theme", "multi_agency_working", "--out", str(out)], copy).exit_code == 0
    assert "Findings › Finding 1: Information was not shared › Why this matters" in out.read_text(encoding="utf-8-sig")
    # "under a heading containing" looks at the headings above a passage too
    under = run(search_command, ["referral", "--section", "finding 1"], copy)
    assert under.exit_code == 0 and "Finding 1: Information was not shared › Why this matters" in under.output
    sheet = tmp_path / "recs.csv"
    assert run(export_command, ["--theme", "multi_agency_working", "--section", "information was not shared",
                                "--out", str(sheet)], copy).exit_code == 0
    assert "northmoor-2019-child-d-p1" in sheet.read_text(encoding="utf-8-sig")
    page = tmp_path / "r.html"
    assert run(report_command, ["--area", "Northmoor", "--year", "2019", "--out", str(page)], copy).exit_code == 0
    assert "section “Findings › Finding 1: Information was not shared › Why this matters”" in page.read_text()


def test_report_names_the_reviews_without_numbered_findings(db: Path, tmp_path: Path):
    copy = altered_copy(db, tmp_path / "findings.duckdb", "UPDATE passages SET section = 'Finding 1: Information "
                        "was not shared' WHERE passage_id = 'northmoor-2019-child-d-p1'")
    out = tmp_path / "r.html"
    assert run(report_command, ["--area", "Northmoor", "--year", "2018-2021", "--out", str(out)], copy).exit_code == 0
    findings = " ".join(" ".join(parse(out)[0].text).split()).split("Findings", 1)[1].split("Recommendations", 1)[0]
    assert "Information was not shared" in findings
    assert "No finding headings were found in: Family K: a child safeguarding practice review." in findings


# --------------------------------------------------------------------------- the commands


def test_output_commands_attach_to_a_group_and_explain_themselves():
    group = click.Group("casereview")
    add_output_commands(group)
    assert sorted(group.commands) == ["export", "findings", "label-sheet", "report", "reviews", "search", "searches",
                                      "serve", "similar", "trends"]
    for command in OUTPUT_COMMANDS:
        result = CliRunner().invoke(group, [command.name, "--help"])
        assert result.exit_code == 0 and "Example" in result.output, command.name
        assert command.help and len(command.help) > 80


def test_filters_match_whichever_quotes_were_typed():
    # text pasted from Word or a Mac has curly apostrophes; the reviews may have either kind
    from pipeline.outputs.common import IN_SECTION_SQL, REVIEW_FILTER_KEYS, REVIEW_FILTERS, KnownValues

    con = duckdb.connect()
    con.execute("CREATE TABLE reviews AS SELECT 'r1' AS review_id, 'St Mary’s Safeguarding Partnership' AS area, "
                "2020 AS year, 'England' AS nation, 'CSPR' AS review_type")
    con.execute("CREATE TABLE passages AS SELECT 'p1' AS passage_id, 'Learning area 1: Child Y''s voice' AS section, "
                "NULL::VARCHAR[] AS headings")
    # (the heading filter also reads the recommendations view, which every database has from its migrations)
    con.execute("CREATE VIEW v_review_recommendations AS SELECT passage_id FROM passages WHERE false")
    in_section = f"SELECT {IN_SECTION_SQL.format(alias='p')} FROM passages p"
    for typed in ("child y’s voice", "Child Y's voice", "CHILD Y‘S VOICE"):
        assert con.execute(in_section, {"section": typed}).fetchone()[0]
    assert not con.execute(in_section, {"section": "child x’s voice"}).fetchone()[0]
    for typed in ("St Mary's", "st mary’s"):  # the area they name, as stored
        assert KnownValues(con).area(typed) == "St Mary’s Safeguarding Partnership"
    for named in ("St Mary's Safeguarding Partnership", "st mary’s safeguarding partnership"):
        kept = con.execute(f"SELECT count(*) FROM reviews r WHERE {REVIEW_FILTERS}",
                           {**dict.fromkeys(REVIEW_FILTER_KEYS), "area": named})
        assert kept.fetchone()[0] == 1


def test_percentages_never_round_to_certainty():
    assert [percent(v) for v in (0.998, 0.873, 0.004, 0.0, 1.0, None)] == [">99%", "87%", "<1%", "0%", "100%", "–"]
    assert percent(1 / 3, 1) == "33.3%"
    # a model's probability is never shown as certain, even when stored rounded to 1.0 or 0.0
    assert [probability_text(v) for v in (1.0, 0.9975, 0.0)] == [">99%", ">99%", "<1%"]


@pytest.mark.parametrize(("command", "args", "name"), [
    (export_command, ["--theme", "assessment"], "evidence.xlsx"),
    (search_command, ["care"], "results.csv"),
    (trends_command, [], "trends.png"),
    (findings_command, [], "findings.md"),
    (report_command, ["--area", "Northmoor", "--year", "2021"], "report.html"),
    (label_sheet_command, ["--size", "5"], "check.xlsx"),
])
def test_an_output_that_cannot_be_written_is_a_clear_error(db: Path, tmp_path: Path, command, args, name):
    in_the_way = tmp_path / "notes.txt"  # a file where the output's folder should be: fails for root too
    in_the_way.write_text("not a folder")
    result = run(command, [*args, "--out", str(in_the_way / name)], db)
    assert result.exit_code == 2, result.output
    assert f"{in_the_way / name}: cannot write this file" in result.output and "Traceback" not in result.output


def test_a_file_open_in_another_program_is_named_with_what_to_do(tmp_path: Path):
    out = tmp_path / "evidence.xlsx"
    with pytest.raises(CaseReviewError, match=r"evidence.xlsx: cannot write this file \(permission denied\). If it is "
                                              r"open in Excel or another program, close it"):
        with writing(out):
            raise PermissionError(13, "Permission denied", str(out))  # what Windows raises for a file open in Excel


def test_a_home_folder_path_given_in_quotes_is_expanded(db: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    result = run(export_command, ["--theme", "assessment", "--out", "~/Desktop/evidence.csv"], db)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "Desktop" / "evidence.csv").is_file() and not Path("~").exists()


def test_a_missing_database_is_a_clear_error(tmp_path: Path):
    with pytest.raises(CaseReviewError, match=r"none.duckdb: no database there. Check the file name given with --db "
                                              r"\(or in CASEREVIEW_DB\); to make it, run `casereview run --manifest "
                                              r"YOUR_MANIFEST.csv --db "):
        export_theme(tmp_path / "none.duckdb", "assessment", "csv", None)


# --------------------------------------------------------------------------- label-sheet


def _sheet_rows(path: Path) -> tuple[list[str], list[dict]]:
    book = openpyxl.load_workbook(path)
    sheet = book["Passages"]
    header = [cell.value for cell in sheet[1]]
    return header, [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)]


def test_a_label_sheet_has_a_column_for_a_theme_of_the_users_own_model(db: Path, tmp_path: Path):
    # passages tagged by a model trained with a theme the taxonomy does not have: that theme gets a column, named
    # in words, and the advice is to evaluate with that model
    copy = altered_copy(db, tmp_path / "own.duckdb", "UPDATE passage_themes SET theme = 'online_harm' "
                        "WHERE theme = 'planning_support'")
    out = tmp_path / "check.csv"
    result = run(label_sheet_command, ["--out", str(out), "--size", "3"], copy)
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8-sig").splitlines()[0].endswith(",Online harm,No theme,notes,read_by_ocr")
    assert f"casereview evaluate --gold {out} --db {copy} --model FOLDER" in " ".join(result.output.split())
    assert ("tagged by a model with a theme of its own (Online harm), which has a column too, without a definition: "
            "for evaluate, give that model's folder with --model.") in result.output


def test_label_sheet_draws_passages_at_random_for_a_person_to_label_and_evaluate_reads_it_back(
        db: Path, tmp_path: Path):
    from pipeline.commands.themes import evaluate
    from pipeline.themes.taxonomy import load_taxonomy

    names = [theme.name for theme in load_taxonomy().themes]
    out = tmp_path / "check.xlsx"
    result = run(label_sheet_command, ["--out", str(out), "--size", "6"], db)
    assert result.exit_code == 0, result.output
    assert f"Wrote {out}: 6 passages (drawn at random from 10)" in result.output
    assert f"casereview evaluate --gold {out}" in result.output
    header, sheet_rows = _sheet_rows(out)
    assert header == ["passage_id", "review", "area", "year", "pages", "section", "passage", *names, "No theme",
                      "notes", "read_by_ocr"]
    stored = dict(rows(db, "SELECT passage_id, text FROM passages"))
    ids = [row["passage_id"] for row in sheet_rows]
    assert len(set(ids)) == 6 and all(stored[row["passage_id"]] == row["passage"] for row in sheet_rows)
    assert all(row[name] is None for row in sheet_rows for name in [*names, "No theme"])  # nothing pre-marked
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Passages", "How to label", "Columns", "Provenance"]
    guide = " ".join(str(cell) for row in book["How to label"].iter_rows(values_only=True) for cell in row)
    assert all(name in guide for name in names) and "casereview evaluate --gold" in guide
    assert len(book["Passages"].data_validations.dataValidation) == len(names) + 1  # an x/? drop-down each
    about = {row[0]: row[1] for row in book["Provenance"].iter_rows(min_row=2, values_only=True)}
    assert about["seed"] == 13 and "6 passages drawn at random from 10 (seed 13)" in about["sample"]
    assert about["run_id"] == run_id(db)

    # the same seed draws the same passages in the same order; another seed another draw
    again = run(label_sheet_command, ["--out", str(tmp_path / "again.xlsx"), "--size", "6"], db)
    assert again.exit_code == 0 and [r["passage_id"] for r in _sheet_rows(tmp_path / "again.xlsx")[1]] == ids
    other = run(label_sheet_command, ["--out", str(tmp_path / "other.xlsx"), "--size", "6", "--seed", "2"], db)
    assert other.exit_code == 0 and [r["passage_id"] for r in _sheet_rows(tmp_path / "other.xlsx")[1]] != ids

    # a person marks four of the six rows; evaluate scores those four and says two were left out
    sheet = book["Passages"]
    column = {name: header.index(name) + 1 for name in header}
    for row, marks in zip(range(2, 6), [["Voice of the child"], ["No theme"], ["Legal powers", "Assessment"],
                                        ["Information sharing"]], strict=True):
        for name in marks:
            sheet.cell(row=row, column=column[name]).value = "x"
    sheet.cell(row=5, column=column["Assessment"]).value = "?"
    book.save(out)
    result = CliRunner().invoke(evaluate, ["--gold", str(out), "--json", "--resamples", "0"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["items"] == 4
    assert {theme: report["themes"][theme]["support"] for theme in
            ("voice_of_child", "legal_powers", "assessment", "information_sharing", "planning_support")} == {
        "voice_of_child": 1, "legal_powers": 1, "assessment": 1, "information_sharing": 1, "planning_support": 0}
    assert report["themes"]["assessment"]["left_out"] == 1
    assert report["notes"] == ['2 rows have no mark yet (no x or ? in any theme column, nor under "No theme") '
                               "and were left out"]
    table = CliRunner().invoke(evaluate, ["--gold", str(out), "--resamples", "0"])
    assert f"on {out} (4 passages)" in table.stdout and "2 rows have no mark yet" in table.stderr

    # a marked sheet is never overwritten by mistake
    refused = run(label_sheet_command, ["--out", str(out), "--size", "6"], db)
    assert refused.exit_code == 2 and "already exists and may hold someone's labels" in refused.output
    assert _sheet_rows(out)[1][0]["Voice of the child"] == "x"
    replaced = run(label_sheet_command, ["--out", str(out), "--size", "3", "--replace"], db)
    assert replaced.exit_code == 0 and len(_sheet_rows(out)[1]) == 3


def test_label_sheet_as_csv_keeps_the_reviews_the_filters_name(db: Path, tmp_path: Path):
    out = tmp_path / "wales.csv"
    result = run(label_sheet_command, ["--out", str(out), "--nation", "Wales"], db)
    assert result.exit_code == 0, result.output
    assert "4 passages (all 4 there are; reviews: nation Wales)" in result.output
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert len(table) == 4 and set(table["area"]) == {CWM_LLWYD}
    guide = out.with_name("wales.csv.how-to-label.txt").read_text(encoding="utf-8")
    assert "Voice of the child" in guide and "No theme" in guide
    about = json.loads(out.with_name("wales.csv.provenance.json").read_text(encoding="utf-8"))
    assert about["reviews"] == "nation Wales" and about["seed"] == 13
    sections = run(label_sheet_command, ["--out", str(tmp_path / "recs.csv"), "--section", "recommendation"], db)
    assert sections.exit_code == 0 and 'under headings containing "recommendation"' in sections.output
    drawn = pd.read_csv(tmp_path / "recs.csv", encoding="utf-8-sig")
    assert len(drawn) > 0 and all("recommendation" in section.lower() for section in drawn["section"])
    assert f"Provenance (database, models, run, seed) is in {out}.provenance.json" in result.output


@pytest.mark.parametrize("args, message", [
    (["--out", "check.docx"], "a label sheet is an Excel (.xlsx) or CSV (.csv) file"),
    (["--out", "check.xlsx", "--size", "0"], "--size 0: draw at least one passage"),
    (["--out", "check.xlsx", "--nation", "Narnia"], "no review has nation 'Narnia'"),
    (["--out", "check.xlsx", "--section", "zzzz"], "no passage is under a heading containing 'zzzz'"),
])
def test_label_sheet_errors_are_clear(db: Path, tmp_path: Path, args: list[str], message: str):
    args = [str(tmp_path / arg) if arg.startswith("check.") else arg for arg in args]
    result = run(label_sheet_command, args, db)
    assert result.exit_code == 2 and message in result.output, result.output
    assert not list(tmp_path.iterdir())


def test_a_check_is_recorded_in_the_database_its_sheet_was_drawn_from(db: Path, tmp_path: Path):
    # the sheet's next step named no database, and --record then looked in the default one ("no database yet"),
    # or kept the check in whichever database --db named, saying the sheet's passages had been split anew
    from pipeline.cli import main

    drawn, other = tmp_path / "drawn.duckdb", tmp_path / "other.duckdb"
    shutil.copy(db, drawn)
    shutil.copy(db, other)
    sheet = tmp_path / "check.csv"
    made = run(label_sheet_command, ["--out", str(sheet), "--size", "10"], drawn)
    assert made.exit_code == 0, made.output
    assert f"Then run: casereview evaluate --gold {sheet} --db {drawn}" in " ".join(made.output.split())
    table = pd.read_csv(sheet, encoding="utf-8-sig", dtype=str)
    table["No theme"] = "x"
    table.to_csv(sheet, index=False, encoding="utf-8-sig")
    refused = CliRunner().invoke(main, ["evaluate", "--gold", str(sheet), "--record", "--db", str(other)])
    assert refused.exit_code == 2 and f"was drawn from the database {drawn}, not {other}" in " ".join(
        refused.output.split()), refused.output
    kept = CliRunner().invoke(main, ["evaluate", "--gold", str(sheet), "--record", "--resamples", "20"])
    assert kept.exit_code == 0, kept.output
    assert f"Note: {sheet} was drawn from {drawn}: the check is kept there." in kept.stderr
    assert rows(drawn, "SELECT gold_file FROM theme_checks") == [("check.csv",)]
    assert rows(other, "SELECT count(*) FROM theme_checks") == [(0,)]


def test_a_recorded_check_is_kept_once_and_the_outputs_say_how_the_model_did_on_it(db: Path, tmp_path: Path):
    """`evaluate --gold SHEET --record` keeps the result; outputs of tags made by that model quote it."""
    from pipeline.cli import main
    from pipeline.themes.model import ThemeModel
    from pipeline.themes.taxonomy import load_taxonomy

    copy = tmp_path / "checked.duckdb"
    shutil.copy(db, copy)
    names = [theme.name for theme in load_taxonomy().themes]
    sheet = tmp_path / "check.csv"
    voice = [f"Nobody asked Child {letter} what life at home was like, and her wishes were never written down."
             for letter in "ABCDEFGHJKLM"]
    background = ["The family lived in a flat near the station.", "The boys enjoyed football at weekends.",
                  "The review was published in the spring."]
    ids = [f"checked-p{number}" for number in range(1, 16)]
    table = pd.DataFrame({"passage_id": ids, "passage": voice + background})
    for name in names:
        table[name] = ["x" if name == "Voice of the child" else "" for _ in voice] + ["" for _ in background]
    table["No theme"] = ["" for _ in voice] + ["x" for _ in background]
    table.to_csv(sheet, index=False, encoding="utf-8-sig")
    # a check is recorded of the database's own passages (a sheet of other text is refused): put them in it
    refused = CliRunner().invoke(main, ["evaluate", "--gold", str(sheet), "--record", "--db", str(copy)])
    assert refused.exit_code == 2 and (f"--record keeps a check of the tags in {copy}, but none of the 15 passages "
                                       f"labelled in {sheet} is in it (such as 'checked-p1')"
                                       ) in " ".join(refused.output.split()), refused.output
    with duckdb.connect(str(copy)) as con:
        con.execute("INSERT INTO passages (passage_id, review_id, seq, text) SELECT unnest($1), "
                    "'cwm-llwyd-2022-child-w', 100 + generate_subscripts($1, 1), unnest($2)", [ids, voice + background])

    missing = CliRunner().invoke(main, ["evaluate", "--gold", str(sheet), "--record", "--db",
                                        str(tmp_path / "none.duckdb")])
    assert missing.exit_code == 2 and "--record:" in missing.output and "no database there" in missing.output
    for _ in range(2):  # recorded twice: still one check
        result = CliRunner().invoke(main, ["evaluate", "--gold", str(sheet), "--record", "--resamples", "50",
                                           "--db", str(copy)])
        assert result.exit_code == 0, result.output
        assert f"Recorded in {copy} as check " in result.stderr
        assert ("Note: the database's tags come from model themes-test-1.0, so outputs will not quote this check"
                in " ".join(result.stderr.split()))
    version = ThemeModel.load(PROJECT_ROOT / "models" / "themes-v1").version
    assert rows(copy, "SELECT model_version, gold_file, passages FROM theme_checks") == [(version, "check.csv", 15)]
    scores = dict((theme, (support, tagged)) for theme, support, tagged in
                  rows(copy, "SELECT theme, support, tagged FROM theme_check_scores"))
    assert len(scores) == 7 and scores["voice_of_child"][0] == 12 and scores["assessment"][0] == 0

    # the fixture's tags come from another model: the check says nothing about them
    export = run(export_command, ["--theme", "voice_of_child", "--format", "md", "--out", str(tmp_path / "a.md")],
                 copy)
    assert export.exit_code == 0 and "labelled by hand" not in (tmp_path / "a.md").read_text(encoding="utf-8")

    # tags from the model checked: exports, reports, searches and status say how it did
    with duckdb.connect(str(copy)) as con:
        con.execute("UPDATE passage_themes SET model_version = ?", [version])
    export = run(export_command, ["--theme", "voice_of_child", "--format", "md", "--out", str(tmp_path / "b.md")],
                 copy)
    text = " ".join((tmp_path / "b.md").read_text(encoding="utf-8").split())
    assert "Checked on 15 passages labelled by hand (check.csv, recorded " in text
    assert "over the core themes (1 of 4 with passages marked), the model found on average " in text
    assert "Voice of the child, on 15 passages labelled by hand for it (check.csv): 12 were marked with it; the " \
           "model found" in text
    assert "Checked in this database: Voice of the child, on 15 passages" in export.output
    assessment = run(export_command, ["--theme", "assessment", "--format", "md"], copy)
    assert ("Assessment: none of the 15 passages labelled by hand for it (check.csv) were marked with it, too few "
            "to say" in " ".join(assessment.output.split()))
    report = run(report_command, ["--area", "Cwm Llwyd", "--year", "2022", "--out", str(tmp_path / "r.html")], copy)
    assert report.exit_code == 0, report.output
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Checked on 15 passages labelled by hand" in html and "Checked in this database: Voice of the child" in html
    search = CliRunner().invoke(main, ["search", "--theme", "voice_of_child", "--db", str(copy)])
    assert "Checked in this database: Voice of the child, on 15 passages" in search.output
    status = CliRunner().invoke(main, ["status", "--db", str(copy)])
    assert f"theme model checked on labelled passages: check.csv, 15 passages, model {version}" in status.output

    # a theme marked on a few passages counts in the core average as much as the others: the outputs say so
    legal = tmp_path / "legal.csv"
    with_legal = table.copy()
    with_legal.loc[[0, 1], "Legal powers"] = "x"
    with_legal.to_csv(legal, index=False, encoding="utf-8-sig")
    assert CliRunner().invoke(main, ["evaluate", "--gold", str(legal), "--record", "--resamples", "50",
                                     "--db", str(copy)]).exit_code == 0
    export = run(export_command, ["--theme", "voice_of_child", "--format", "md"], copy)
    assert ("over the core themes (2 of 4 with passages marked), the model found on average" in
            " ".join(export.output.split()))
    assert ("the average counts Legal powers (marked on 2), too few on its own to go on, so it rests mostly on the "
            "other." in " ".join(export.output.split()))

    # a check with a theme marked once gives no range for it, and the outputs say it is too small to go on
    tiny = tmp_path / "tiny.csv"
    table.iloc[[0, 12, 13]].to_csv(tiny, index=False, encoding="utf-8-sig")
    result = CliRunner().invoke(main, ["evaluate", "--gold", str(tiny), "--record", "--resamples", "50",
                                       "--db", str(copy)])
    assert result.exit_code == 0, result.output
    assert ("Note: they quote only the latest check of a model, so this one (3 passages) now stands in for the "
            "larger check on legal.csv (15 passages)") in " ".join(result.stderr.split())
    voice_row = next(line for line in result.output.splitlines() if line.startswith("Voice of the child"))
    assert "too few" in voice_row and "'too few': fewer than 5 labelled examples" in result.output
    export = run(export_command, ["--theme", "voice_of_child", "--format", "md"], copy)
    assert ("Checked on 3 passages labelled by hand (tiny.csv, recorded" in export.output
            and "the core themes were marked on only 1 of them, too few to say how the model's tags hold"
            in " ".join(export.output.split()) and "95% interval" not in export.output)


def test_a_recorded_check_scores_the_tags_the_database_holds_not_the_model_alone(db: Path, tmp_path: Path):
    # the check quoted beside the database's tags scored the model alone, which tags the passages a run leaves
    # untagged (a review's method, its own process): marks that agreed with every stored tag lost precision
    from pipeline.cli import main
    from pipeline.themes.model import ThemeModel
    from pipeline.themes.taxonomy import load_taxonomy

    copy = tmp_path / "tagged.duckdb"
    shutil.copy(db, copy)
    version = ThemeModel.load(PROJECT_ROOT / "models" / "themes-v1").version
    with duckdb.connect(str(copy)) as con:  # as if the shipped model had tagged them
        con.execute("UPDATE passage_themes SET model_version = ?", [version])
        con.execute("UPDATE documents SET theme_model = ?", [version])
    stored: dict[str, set] = {}
    for passage_id, theme in rows(copy, "SELECT passage_id, theme FROM passage_themes"):
        stored.setdefault(passage_id, set()).add(theme)
    passages = rows(copy, "SELECT passage_id, text FROM passages ORDER BY passage_id")
    themes = load_taxonomy().themes
    table = pd.DataFrame({"passage_id": [pid for pid, _ in passages], "passage": [text for _, text in passages]})
    for theme in themes:  # marked exactly as stored
        table[theme.name] = ["x" if theme.id in stored.get(pid, set()) else "" for pid, _ in passages]
    table["No theme"] = ["" if stored.get(pid) else "x" for pid, _ in passages]
    # and one passage no longer in the database (its review's text split differently since the sheet was drawn)
    gone = {column: "" for column in table.columns} | {"passage_id": "gone-p1", "passage": "Split otherwise now.",
                                                       "Assessment": "x"}
    table = pd.concat([table, pd.DataFrame([gone])], ignore_index=True)
    sheet = tmp_path / "as-stored.csv"
    table.to_csv(sheet, index=False, encoding="utf-8-sig")
    result = CliRunner().invoke(main, ["evaluate", "--gold", str(sheet), "--record", "--resamples", "0",
                                       "--db", str(copy)])
    assert result.exit_code == 0, result.output
    assert f"The tags of model {version} in {copy} on {sheet} (10 passages)" in result.output
    assert f"Note: 1 passage labelled in {sheet} is no longer in the database" in result.stderr
    assert "the check is of the other 10." in " ".join(result.stderr.split())
    assert rows(copy, "SELECT passages FROM theme_checks") == [(10,)]
    checked = rows(copy, "SELECT theme, support, precision, recall FROM theme_check_scores WHERE support > 0")
    assert len(checked) == 7 and all((precision, recall) == (1.0, 1.0) for _, _, precision, recall in checked)


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_a_recorded_label_sheet_keeps_how_its_passages_were_drawn(db: Path, tmp_path: Path, suffix: str):
    from pipeline.cli import main

    copy = tmp_path / "copy.duckdb"
    shutil.copy(db, copy)
    sheet = tmp_path / f"wales{suffix}"
    assert run(label_sheet_command, ["--out", str(sheet), "--size", "3", "--nation", "Wales"], copy).exit_code == 0
    if suffix == ".xlsx":
        book = openpyxl.load_workbook(sheet)
        header = [cell.value for cell in book["Passages"][1]]
        for row in range(2, 5):
            book["Passages"].cell(row=row, column=header.index("No theme") + 1).value = "x"
        book.save(sheet)
    else:
        table = pd.read_csv(sheet, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        table["No theme"] = "x"
        table.to_csv(sheet, index=False, encoding="utf-8-sig")
    result = CliRunner().invoke(main, ["evaluate", "--gold", str(sheet), "--record", "--db", str(copy)])
    assert result.exit_code == 0, result.output
    assert rows(copy, "SELECT gold_file, passages, sample FROM theme_checks") == [
        (sheet.name, 3, "3 passages drawn at random from 4 (seed 13), listed in random order; reviews: nation Wales")]


def test_report_says_what_the_partnerships_own_searches_find_there(db: Path, tmp_path: Path):
    from pipeline.search import search_with_forms

    searches = tmp_path / "ours.txt"
    searches.write_text('Sharing: "share information" OR "information sharing"\nwishes\nzebrafish\n', encoding="utf-8")
    out = tmp_path / "northmoor.html"
    result = run(report_command, ["--area", "northmoor", "--year", "2018-2021", "--searches", str(searches),
                                  "--out", str(out)], db)
    assert result.exit_code == 0, result.output
    page, source = parse(out)
    assert page.sections == ["reviews", "themes", "searches", "findings", "recommendations", "topics", "limits",
                             "provenance"]
    text = " ".join(" ".join(page.text).split())
    section = text.partition("Your searches")[2].partition("Findings The findings the reviews state")[0]
    assert "ours.txt, SHA-256" in section
    for number, (name, query) in enumerate([("Sharing", '"share information" OR "information sharing"'),
                                            ("wishes", "wishes"), ("zebrafish", "zebrafish")], start=1):
        every = search_with_forms(db, query, by_review=True)
        here = [r for r in every.by_review if r.area == NORTHMOOR and 2018 <= r.year <= 2021]
        row = (f"{number} {name} {query} {len(here)} of 2 {sum(r.passages_found for r in here)} "
               f"{len(every.by_review)} of {every.reviews_read}")
        assert row in section, (row, section)
    assert "Sharing" in section and "Information sharing between the school and children's social care was poor." \
        in section  # the best passage here, with its page
    ours = out.read_text(encoding="utf-8").partition('<section id="searches">')[2].partition("</section>")[0]
    assert "· section “Findings”</p>" in ours  # and its section: a search may match a passage by its heading's words
    assert ('3. zebrafish No passage in the database uses this word, in any form: "zebrafish". No passage of these '
            "reviews matches it.") in section  # with the search's note, as casereview searches gives it
    # a searches file with a mistake writes nothing
    searches.write_text('Open: "seen alone\n', encoding="utf-8")
    out.unlink()
    bad = run(report_command, ["--area", "northmoor", "--year", "2018-2021", "--searches", str(searches),
                               "--out", str(out)], db)
    assert bad.exit_code == 2 and "line 1: the search" in bad.output and not out.exists()
