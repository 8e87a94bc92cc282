"""End to end: the real `casereview` command, real Prefect flow, real PDFs, a real DuckDB file.

Covers the demo run (every review stored or explained), an idempotent re-run, and a run killed midway.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.errors import ExtractError
from pipeline.extract import extract_pdf
from pipeline.manifest import load_manifest
from pipeline.ocr import available as ocr_available
from pipeline.segment import segment
from tests.garbled_pdf import write_pdf as write_garbled_pdf
from tests.outlined_pdf import write_outlined, write_shapes
from tests.prefect_server import SharedPrefectServer
from tests.redacted_pdf import write_pdf as write_redacted_pdf

ROOT = Path(__file__).resolve().parent.parent
DEMO_MANIFEST = ROOT / "corpus_manifest" / "demo.csv"
CLI = [sys.executable, "-m", "pipeline.cli"]

DATA_TABLES = ["reviews", "documents", "pages", "passages", "sentences", "passage_themes", "theme_evidence",
               "review_themes"]


_SERVERS: dict[Path, SharedPrefectServer] = {}


@pytest.fixture(scope="module", autouse=True)
def _stop_shared_prefect_server():
    yield
    while _SERVERS:
        _SERVERS.popitem()[1].stop()


def _env(tmp_path: Path) -> dict[str, str]:
    """The CLI's environment: outputs under ``tmp_path``, Prefect's home shared by this session's tests, and one
    Prefect server shared by this module's runs (``tests/prefect_server.py``; a test that removes
    ``PREFECT_API_URL`` gets a run that starts its own temporary server, as users' runs do).

    A fresh Prefect home costs each test about 20 s of database set-up when the ephemeral server first
    starts; the runs' own data (database, outputs) stays per test.
    """
    home = tmp_path.parent / "prefect-home"
    # the shared server keeps its own database: runs that start their own server use the one under ``home``
    server = _SERVERS.setdefault(home, SharedPrefectServer(tmp_path.parent / "prefect-shared-home"))
    env = dict(os.environ)
    env.update({
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": server.api_url(),
        "CASEREVIEW_OUTPUTS": str(tmp_path / "outputs"),
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    })
    return env


def _run(tmp_path: Path, db: Path, *args: str, manifest: Path = DEMO_MANIFEST) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, "run", "--manifest", str(manifest), "--db", str(db), "--quiet", *args],
        cwd=ROOT, env=_env(tmp_path), capture_output=True, text=True, timeout=500,
    )


NOTES_HEADING = "notes (pages read by OCR or not read, PDFs found on web pages, documents with no text):"


def _run_folder(tmp_path: Path, names: list[str]) -> tuple[Path, str, str]:
    """Run the pipeline (no themes) on ``tmp_path/corpus/<name>.pdf`` for each name, one review each; the run
    must succeed. Returns the database, what the run printed, and the notes section of its summary."""
    rows = [f"{name},Review {k},Thornley,England,SCR,{2017 + k},{name}.pdf" for k, name in enumerate(names)]
    manifest = tmp_path / "corpus" / "manifest.csv"
    manifest.write_text("\n".join(["review_id,title,area,nation,review_type,year,source", *rows]) + "\n",
                        encoding="utf-8")
    db = tmp_path / "db.duckdb"
    result = _run(tmp_path, db, "--no-themes", manifest=manifest)
    assert result.returncode == 0, result.stderr
    notes = result.stdout.partition(NOTES_HEADING + "\n")[2]
    return db, result.stdout, notes


def _fingerprint(db: Path) -> dict[str, str]:
    """A hash of every row of every data table (run logs excluded): equal fingerprints mean no row changed."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        prints = {}
        for table in DATA_TABLES:
            rows = con.execute(f"SELECT * FROM {table}").fetchall()
            rows = sorted(repr(row) for row in rows)
            prints[table] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
        return prints
    finally:
        con.close()


def _expected_passages() -> dict[str, int]:
    """How many passages each good demo review should have, from the stages run directly."""
    manifest = load_manifest(DEMO_MANIFEST)
    counts = {}
    for entry in manifest.entries:
        path = entry.local_path(manifest.folder)
        if not path.exists():
            continue
        try:
            document = extract_pdf(path)
        except ExtractError:
            continue  # a broken input: stored as failed, with no passages
        if document.status == "ok":
            counts[entry.review_id] = len(segment(entry.review_id, document.blocks))
    return counts


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> tuple[Path, Path, subprocess.CompletedProcess]:
    tmp = tmp_path_factory.mktemp("demo")
    db = tmp / "demo.duckdb"
    result = _run(tmp, db)
    assert result.returncode == 0, result.stderr + result.stdout
    return tmp, db, result


@pytest.mark.slow
def test_demo_run_stores_every_review_and_explains_failures(demo_db) -> None:
    _, db, result = demo_db
    manifest = load_manifest(DEMO_MANIFEST)
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM reviews").fetchone()[0] == len(manifest.entries)
        assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == len(manifest.entries)
        ok = con.execute("SELECT count(*) FROM documents WHERE status = 'ok'").fetchone()[0]
        assert ok >= 15
        broken = dict(con.execute(
            "SELECT review_id, status || ': ' || error FROM documents WHERE status <> 'ok'").fetchall())
        assert len(broken) == 4
        reasons = " ".join(broken.values()).lower()
        for expected in ("password", "damaged", "web page", "not found"):
            assert expected in reasons, f"no failure mentions {expected!r}: {broken}"
        # The scanned review is read by OCR, and says so, page by page.
        scanned = "carnlough-vale-2019-child-g"
        status, error = con.execute("SELECT status, error FROM documents WHERE review_id = ?", [scanned]).fetchone()
        assert status == "ok" and error.startswith("page 1 was read by OCR")
        pages = con.execute("SELECT ocr, ocr_confidence FROM pages WHERE review_id = ?", [scanned]).fetchall()
        assert pages and all(ocr and 80 <= confidence <= 100 for ocr, confidence in pages)
        assert con.execute("SELECT count(*) FROM pages WHERE ocr AND review_id <> ?", [scanned]).fetchone()[0] == 0
        # Passages cite their review and pages, and sit inside the review's page count.
        bad_pages = con.execute("""
            SELECT count(*) FROM passages p JOIN documents d USING (review_id)
            WHERE p.page_start < 1 OR p.page_end < p.page_start OR p.page_end > d.pages""").fetchone()[0]
        assert bad_pages == 0
        per_review = dict(con.execute("SELECT review_id, count(*) FROM passages GROUP BY 1").fetchall())
        assert per_review == _expected_passages()
        dupes = con.execute("SELECT count(*) - count(DISTINCT passage_id) FROM passages").fetchone()[0]
        assert dupes == 0
    finally:
        con.close()
    assert "reviews processed: " in result.stdout
    assert "problems:" in result.stdout


@pytest.mark.slow
def test_evidence_from_the_scanned_review_is_marked_as_read_by_ocr(demo_db) -> None:
    """An evidence table says which quotes come from text read by OCR, and only those."""
    import csv
    import io

    tmp, db, _ = demo_db
    result = CliRunner().invoke(main, ["export", "--theme", "voice_of_child", "--format", "csv", "--db", str(db)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    marked = {row["review_id"] for row in rows if row["quote_is"].endswith("read by OCR: check against the PDF")}
    assert marked == {"carnlough-vale-2019-child-g"}
    assert all(row["quote_is"].split(",")[0] in ("evidence sentence", "start of passage")
               and "read by OCR" not in row["quote_is"] for row in rows if row["review_id"] not in marked)
    status = CliRunner().invoke(main, ["status", "--db", str(db)])
    assert status.exit_code == 0 and "  pages read by OCR: 1\n" in status.stdout
    # the area report of the scanned review marks each of its quotes, and says so in the review's status
    out = tmp / "carnlough-vale-2019.html"
    report = CliRunner().invoke(main, ["report", "--area", "Carnlough Vale", "--year", "2019", "--out", str(out),
                                       "--db", str(db)])
    assert report.exit_code == 0, report.output
    page = out.read_text(encoding="utf-8")
    themes, _, rest = page.partition('<section id="recommendations">')
    recommendations = rest.partition("</section>")[0]
    quotes = themes.count("<blockquote>")
    assert quotes > 0 and themes.count("read by OCR: check the words against the PDF") == quotes
    # and so is each passage quoted from its recommendations
    items = recommendations.count("<li>")
    assert items > 0 and recommendations.count("read by OCR: check the words against the PDF") == items
    assert "read (1 page by OCR)" in page


@pytest.mark.slow
def test_report_lists_each_reviews_numbered_findings_and_recommendations(demo_db) -> None:
    """The partnership report says what the reviews found and recommended, in their own words, with pages."""
    import csv

    tmp, db, _ = demo_db
    out = tmp / "northmoor-2016-2021.html"
    report = CliRunner().invoke(main, ["report", "--area", "Northmoor", "--year", "2016-2021", "--out", str(out),
                                       "--db", str(db)])
    assert report.exit_code == 0, report.output
    page = out.read_text(encoding="utf-8")
    findings = page.partition('<section id="findings">')[2].partition("</section>")[0]
    heads = [line.split("<span")[0] for line in findings.split("<li>")[1:]]
    assert heads == [
        "Finding 1: The man in the household was never properly seen ",
        "Finding 2: Information held by one agency did not reach the others ",
        "Finding 3: The bruise and the wider picture were not assessed ",
        "Finding 1: Child M was not heard, and was seen as older than he was ",
        "Finding 2: The strategy meetings did not work as a multi-agency system ",
        "Finding 3: There was no plan for Child M, and the support he valued stopped ",
    ]
    assert "· p. 6</span>" in findings
    recommendations = page.partition('<section id="recommendations">')[2].partition("</section>")[0]
    assert recommendations.count("<article") == 2 and "1. The Board should seek assurance" in recommendations
    # the same findings across all reviews, for a briefing: as text, JSON lines and CSV
    runner = CliRunner()
    listed = runner.invoke(main, ["findings", "--containing", "INFORMATION", "--out", str(tmp / "f.csv"),
                                  "--db", str(db)])
    assert listed.exit_code == 0, listed.output
    assert listed.output.startswith('6 findings containing "INFORMATION" stated in the headings of 6 of the 19 '
                                    "reviews read.")
    assert "  Finding 2: Information held by one agency did not reach the others (p. 7)" in listed.output
    with (tmp / "f.csv").open(encoding="utf-8-sig") as handle:
        table = list(csv.DictReader(handle))
    assert [row["review_id"] for row in table] == [  # numbered findings, and the subheadings of "Analysis"
        "harrowden-2015-child-s", "northmoor-2016-child-d", "kestrel-bay-2018-child-r", "westhaven-2022-child-q",
        "ashcombe-2023-children-f-and-g", "holmbrook-2025-child-w"]
    assert table[1]["page"] == table[1]["printed_page"] == "7"
    info = json.loads((tmp / "f.csv.provenance.json").read_text(encoding="utf-8"))
    assert info["containing"] == "INFORMATION" and info["rows"] == 6 and info["manifest_sha256"]
    book = runner.invoke(main, ["findings", "--nation", "Wales", "--out", str(tmp / "wales.xlsx"), "--db", str(db)])
    assert book.exit_code == 0 and "on its Provenance sheet" in book.output
    sheets = pd.read_excel(tmp / "wales.xlsx", sheet_name=None)
    assert list(sheets) == ["Findings", "Columns", "Provenance"] and set(sheets["Findings"]["nation"]) == {"Wales"}
    page = runner.invoke(main, ["findings", "--containing", "information", "--out", str(tmp / "f.md"),
                                "--db", str(db)])
    assert page.exit_code == 0
    assert "where it came from (models, run, manifest checksum, date) is at its top" in page.output
    text = (tmp / "f.md").read_text(encoding="utf-8")
    assert text.startswith("# Findings stated in the reviews\n\n> Generated: ")
    assert '6 findings containing "information" stated in the headings of 6 of the 19 reviews read.' in text
    assert text.count("\n## ") == 6
    assert "| Finding 2: Information held by one agency did not reach the others | p. 7 |" in text
    # the findings are headings, not tags: the header says so, without the theme model's warning
    assert "The findings are the reviews' own headings as read from their PDFs" in text
    assert "Theme tags are model predictions" not in text
    wrong = runner.invoke(main, ["findings", "--out", str(tmp / "f.pdf"), "--db", str(db)])
    assert wrong.exit_code == 2 and "ending in .csv, .xlsx or .md" in wrong.output and not (tmp / "f.pdf").exists()
    welsh = runner.invoke(main, ["findings", "--nation", "Wales", "--json", "--db", str(db)])
    records = [json.loads(line) for line in welsh.stdout.splitlines()]
    assert {r["nation"] for r in records} == {"Wales"} and len(records) == 8
    # a Welsh child practice review states its findings as the subheadings of "Practice and organisational
    # learning", numbered by section only
    assert [r["finding"][:4] for r in records if r["review_id"] == "cwm-llwyd-2017-child-e"] == ["5.1 ", "5.2 ", "5.3 "]
    none = runner.invoke(main, ["findings", "--containing", "zebra crossing", "--db", str(db)])
    assert none.exit_code == 0 and "No finding heading matches" in none.output


@pytest.mark.slow
def test_passages_on_how_a_review_was_done_carry_no_theme(demo_db) -> None:
    from pipeline.themes.model import ThemeModel
    from pipeline.themes.sections import is_untagged_section

    _, db, _ = demo_db
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT passage_id, section, text, (SELECT count(*) FROM passage_themes t "
                       "WHERE t.passage_id = p.passage_id) FROM passages p").fetchall()
    con.close()
    method = [(section, text, tags) for _, section, text, tags in rows if is_untagged_section(section)]
    assert {section for section, _, _ in method} >= {"2. Terms of reference", "3. Methodology", "Method"}
    assert all(tags == 0 for _, _, tags in method)
    # the model alone would have tagged some of them: the rule, not the model, leaves them out
    assert any(ThemeModel.load(ROOT / "models" / "themes-v1").labels([text])[0] for _, text, _ in method)
    assert sum(tags for *_, tags in rows) > 500  # the rest of the reviews are tagged as before
    # no stored tag has both its passage and its evidence sentence about the review itself, wherever it sits
    model = ThemeModel.load(ROOT / "models" / "themes-v1")
    con = duckdb.connect(str(db), read_only=True)
    evidence = con.execute("SELECT p.text, e.text FROM theme_evidence e JOIN passages p USING (passage_id) "
                           "WHERE e.rank = 1").fetchall()
    commissioned = con.execute("SELECT text, (SELECT count(*) FROM passage_themes t WHERE t.passage_id = "
                               "p.passage_id) FROM passages p WHERE text LIKE '%commissioned an extended child "
                               "practice review%'").fetchall()
    con.close()
    both = model.about_the_review([p for p, _ in evidence]) & model.about_the_review([e for _, e in evidence])
    assert not both.any()
    # a passage on how a review was commissioned, outside a method section: the model tags it, the rule drops it
    assert commissioned and all(count == 0 and model.labels([text])[0] for text, count in commissioned)
    # footnotes (sources, definitions of the law) are stored and searched but never tagged, though the model
    # alone would tag some of them
    notes = [p for pdf in sorted((ROOT / "corpus_manifest" / "demo").glob("*.pdf"))
             if pdf.stem in ("harrowden-2015-child-s", "ashcombe-2020-child-l", "northmoor-2016-child-d")
             for p in segment(pdf.stem, extract_pdf(pdf).blocks) if p.footnote]
    assert len(notes) >= 4 and any(model.labels([p.text])[0] for p in notes)
    con = duckdb.connect(str(db), read_only=True)
    stored = con.execute("SELECT passage_id, (SELECT count(*) FROM passage_themes t WHERE t.passage_id = "
                         "p.passage_id) FROM passages p WHERE passage_id IN (SELECT unnest(?))",
                         [[p.passage_id for p in notes]]).fetchall()
    con.close()
    assert len(stored) == len(notes) and all(count == 0 for _, count in stored)


@pytest.mark.slow
def test_exports_and_reports_say_how_often_high_probabilities_held_on_real_text(demo_db, tmp_path) -> None:
    import html

    from pipeline.themes.model import ThemeModel
    from pipeline.themes.trust import real_text_note, theme_check_note

    _, db, _ = demo_db
    note = real_text_note(ThemeModel.load(ROOT / "models" / "themes-v1").version)
    assert note is not None and "a theme scored 90% or more was right" in note
    table = tmp_path / "legal.md"
    exported = CliRunner().invoke(main, ["export", "--theme", "legal_powers", "--out", str(table), "--db", str(db)])
    assert exported.exit_code == 0, exported.output
    assert note in table.read_text(encoding="utf-8").split("| # |")[0]  # in the header, beside the caveat
    page = tmp_path / "northmoor.html"
    reported = CliRunner().invoke(main, ["report", "--area", "Northmoor", "--year", "2021", "--out", str(page),
                                         "--db", str(db)])
    assert reported.exit_code == 0, reported.output
    assert html.escape(note) in page.read_text(encoding="utf-8")
    found = CliRunner().invoke(main, ["search", "--theme", "legal_powers", "--limit", "2", "--db", str(db)])
    assert found.exit_code == 0 and f"About the theme probabilities: {note}\n" in found.output
    # Each theme also says how it did on the real sentences labelled with it, or that there were none.
    version = ThemeModel.load(ROOT / "models" / "themes-v1").version
    legal = theme_check_note(version, "legal_powers", "Legal powers")
    assert legal.startswith("Legal powers, on ") and " real sentences labelled with it by two people" in legal
    assert found.output.rstrip().endswith(f"About this theme: {legal}")
    assert f"> {legal}" in table.read_text(encoding="utf-8").split("| # |")[0]
    assert f"About this theme: {legal}" in exported.output
    # information sharing has no development-set sentences, but the one-off case-review check has some: said too
    unchecked = theme_check_note(version, "information_sharing", "Information sharing")
    assert unchecked.startswith("Information sharing has no real sentences of research and policy writing")
    assert "On 21 sentences from published case reviews" in unchecked
    assert f"How far to trust these tags: {unchecked}" in page.read_text(encoding="utf-8")
    saved = tmp_path / "sharing.md"
    assert CliRunner().invoke(main, ["search", "--theme", "information_sharing", "--out", str(saved),
                                     "--db", str(db)]).exit_code == 0
    assert f"> {unchecked}" in saved.read_text(encoding="utf-8")


@pytest.mark.slow
def test_second_run_processes_nothing_and_changes_no_rows(demo_db) -> None:
    tmp, db, _ = demo_db
    before = _fingerprint(db)
    result = _run(tmp, db)
    assert result.returncode == 0, result.stderr
    assert "reviews processed: 0" in result.stdout
    assert _fingerprint(db) == before


@pytest.mark.slow
def test_a_new_theme_model_retags_unchanged_documents_once(tmp_path: Path) -> None:
    """Retraining changes the model version: the next run tags every review again, once, with no duplicates."""
    import json

    manifest = _one_review_corpus(tmp_path)
    retrained = tmp_path / "themes-retrained"
    shutil.copytree(ROOT / "models" / "themes-v1", retrained)
    thresholds = json.loads((retrained / "thresholds.json").read_text(encoding="utf-8"))
    (retrained / "thresholds.json").write_text(json.dumps({t: 0.3 for t in thresholds}), encoding="utf-8")
    from pipeline.themes.model import weights_hash

    config = json.loads((retrained / "config.json").read_text(encoding="utf-8"))
    config["weights_sha256"] = weights_hash(retrained)  # as `casereview train` would record it
    (retrained / "config.json").write_text(json.dumps(config), encoding="utf-8")
    db = tmp_path / "db.duckdb"

    def tags() -> list[tuple]:
        con = duckdb.connect(str(db), read_only=True)
        try:
            return con.execute("SELECT model_version, count(*), count(DISTINCT (passage_id, theme)) "
                               "FROM passage_themes GROUP BY 1").fetchall()
        finally:
            con.close()

    first = _run(tmp_path, db, manifest=manifest)
    assert first.returncode == 0 and "reviews processed: 1" in first.stdout, first.stderr
    [(old_version, old_count, _)] = tags()
    second = _run(tmp_path, db, "--model", str(retrained), manifest=manifest)
    assert second.returncode == 0 and "reviews processed: 1" in second.stdout, second.stderr
    [(new_version, new_count, distinct)] = tags()
    assert new_version != old_version and new_count == distinct >= old_count
    third = _run(tmp_path, db, "--model", str(retrained), manifest=manifest)
    assert "reviews processed: 0" in third.stdout and tags() == [(new_version, new_count, distinct)]


@pytest.mark.slow
def test_status_and_sql_commands_read_the_database(demo_db) -> None:
    tmp, db, _ = demo_db
    status = subprocess.run([*CLI, "status", "--db", str(db)], cwd=ROOT, env=_env(tmp), capture_output=True,
                            text=True, timeout=120)
    assert status.returncode == 0, status.stderr
    assert "encrypted" in status.stdout.lower() or "password" in status.stdout.lower()
    assert "earlier version" not in status.stdout  # all read by this version
    # After an upgrade that reads PDFs differently, status says which documents the next run reads again.
    older = tmp / "older.duckdb"
    shutil.copy(db, older)
    with duckdb.connect(str(older)) as con:
        con.execute("UPDATE documents SET pipeline_version = '0.0.1+p1' WHERE review_id IN "
                    "('thornley-2017-child-p', 'larkfield-2018-child-x', 'northmoor-2016-child-d')")
    result = CliRunner().invoke(main, ["status", "--db", str(older)])
    assert result.exit_code == 0, result.output
    assert ("read by an earlier version of casereview: 2 documents (the next `casereview run` with their manifest "
            "reads them again") in result.output  # the failed one is tried again on every run anyway
    query = subprocess.run([*CLI, "sql", "SELECT count(*) AS n FROM passages", "--db", str(db), "--format",
                            "json"], cwd=ROOT, env=_env(tmp), capture_output=True, text=True, timeout=120)
    assert query.returncode == 0, query.stderr
    assert '"n":' in query.stdout
    write = subprocess.run([*CLI, "sql", "DELETE FROM passages", "--db", str(db)], cwd=ROOT, env=_env(tmp),
                           capture_output=True, text=True, timeout=120)
    assert write.returncode == 2
    assert "cannot change" in write.stderr


@pytest.mark.slow
def test_changed_document_replaces_its_rows(tmp_path: Path) -> None:
    """New bytes for a review replace its passages; nothing of the old version is left. The documents are kept
    beside the database named with --db, not in the default outputs folder."""
    manifest = _one_review_corpus(tmp_path)
    folder = manifest.parent
    db = tmp_path / "partnership" / "db.duckdb"
    db.parent.mkdir()
    assert _run(tmp_path, db, "--no-themes", manifest=manifest).returncode == 0
    assert len(list((db.parent / "db-store" / "blobs").rglob("*"))) == 2  # one blob in its two-letter folder
    assert not (tmp_path / "outputs").exists()
    shutil.copy(ROOT / "corpus_manifest" / "demo" / "harrowden-2015-child-s.pdf", folder / "review.pdf")
    assert _run(tmp_path, db, "--no-themes", manifest=manifest).returncode == 0
    expected = len(segment("one", extract_pdf(folder / "review.pdf").blocks))
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM passages WHERE review_id = 'one'").fetchone()[0] == expected
        assert con.execute("SELECT count(*) FROM passages WHERE text ILIKE '%Thornley%'").fetchone()[0] == 0
        (current,) = con.execute("SELECT sha256 FROM documents WHERE review_id = 'one'").fetchone()
    finally:
        con.close()
    # the copy of the earlier version is kept a day after its last use (another run may be about to use it),
    # then the first run to finish deletes it; the copy the database was read from stays
    blobs = {path.name: path for path in (db.parent / "db-store" / "blobs").glob("??/*")}
    assert len(blobs) == 2 and current in blobs
    (earlier,) = set(blobs) - {current}
    two_days_ago = time.time() - 2 * 86400
    for path in blobs.values():
        os.utime(path, (two_days_ago, two_days_ago))
    again = _run(tmp_path, db, "--no-themes", manifest=manifest)
    assert again.returncode == 0 and "reviews skipped (unchanged): 1" in again.stdout
    assert "document store: deleted 1 copy of earlier versions of changed documents, unused for a day" in again.stdout
    assert {path.name for path in (db.parent / "db-store" / "blobs").glob("??/*")} == {current}


def test_garbled_pages_are_stored_as_needing_ocr_with_the_reason(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """With OCR off, a PDF with a garbled text layer: its readable pages are stored, its garbled ones named; a
    wholly garbled one is stored as needs_ocr. No junk text reaches the passages."""
    monkeypatch.setenv("CASEREVIEW_OCR", "0")
    folder = tmp_path / "corpus"
    folder.mkdir()
    write_garbled_pdf(folder / "partly.pdf", garbled_pages={2})
    write_garbled_pdf(folder / "whole.pdf", garbled_pages={1, 2, 3})
    write_garbled_pdf(folder / "headings.pdf", garbled_pages=set(), garbled_headings=True)
    db, printed, notes = _run_folder(tmp_path, ["partly", "whole", "headings"])
    assert "    - partly: page 2 has a text layer that is not readable English" in notes
    assert "    - headings: pages 1, 2, 3 have lines in a font whose text is not readable English" in notes
    assert "problems:\n    - whole: whole.pdf: no page has readable text" in printed
    con = duckdb.connect(str(db), read_only=True)
    try:
        documents = {row[0]: row[1:] for row in con.execute(
            "SELECT review_id, status, error, needs_ocr_pages FROM documents").fetchall()}
        assert documents["partly"][0] == "ok" and documents["partly"][2] == [2]
        assert "page 2 has a text layer that is not readable English" in documents["partly"][1]
        assert documents["whole"][0] == "needs_ocr" and documents["whole"][2] == [1, 2, 3]
        assert "whole.pdf" in documents["whole"][1] and "OCR" in documents["whole"][1]
        pages = con.execute("SELECT DISTINCT page_start FROM passages WHERE review_id = 'partly'").fetchall()
        assert sorted(p for (p,) in pages) == [1, 3]
        assert con.execute("SELECT count(*) FROM passages WHERE review_id = 'whole'").fetchone()[0] == 0
        # only the headings' font is garbled: the text is stored, with no section made of junk
        assert documents["headings"][0] == "ok" and documents["headings"][2] == []
        assert "pages 1, 2, 3 have lines in a font whose text is not readable English" in documents["headings"][1]
        sections = con.execute("SELECT DISTINCT coalesce(section, '') FROM passages WHERE review_id = 'headings'"
                               ).fetchall()
        assert sections == [("",)]
        assert con.execute("SELECT count(*) FROM passages WHERE review_id = 'headings'").fetchone()[0] >= 3
        assert con.execute("SELECT page, needs_ocr FROM pages WHERE review_id = 'partly' ORDER BY page").fetchall() \
            == [(1, False), (2, True), (3, False)]
    finally:
        con.close()

    # OCR on again: the next run reads the three documents again, though their files are the same: each left
    # text unread that OCR can read (garbled pages, or a heading font's lines)
    monkeypatch.delenv("CASEREVIEW_OCR")
    manifest = tmp_path / "corpus" / "manifest.csv"
    again = _run(tmp_path, db, "--no-themes", manifest=manifest)
    assert "reviews processed: 3\n  reviews skipped (unchanged): 0" in again.stdout, again.stdout
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT review_id, ocr_on FROM documents ORDER BY 1").fetchall() == [
            ("headings", True), ("partly", True), ("whole", True)]
        assert con.execute("SELECT count(*) FROM pages WHERE ocr").fetchone()[0] >= 4  # page 2 of partly, all of whole
        sections = con.execute("SELECT count(DISTINCT section) FROM passages WHERE review_id = 'headings'").fetchone()
        assert sections[0] >= 2  # the headings, read by OCR, now head sections
    finally:
        con.close()
    third = _run(tmp_path, db, "--no-themes", manifest=manifest)
    assert "reviews processed: 0\n  reviews skipped (unchanged): 3" in third.stdout, third.stdout


def test_outlined_pages_are_read_by_ocr_and_a_blank_pdf_fails_with_a_reason(tmp_path: Path) -> None:
    """Text converted to outlines on one page, or on every page: read by OCR, stored, and said to be; a PDF of
    blank pages and shapes: failed with a reason. None passes as a review without text."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    write_outlined(folder / "partly.pdf", outlined_pages={2})
    write_outlined(folder / "whole.pdf", outlined_pages={1, 2, 3})
    write_shapes(folder / "blank.pdf")
    from reportlab.pdfgen import canvas

    numbers = canvas.Canvas(str(folder / "numbers.pdf"))  # text, but only the page numbers
    for page in range(1, 4):
        numbers.drawString(290, 30, str(page))
        numbers.showPage()
    numbers.save()
    db, printed, notes = _run_folder(tmp_path, ["partly", "whole", "blank", "numbers"])
    assert "    - partly: page 2 was read by OCR (it has no usable text layer, mean word confidence" in notes
    assert "    - whole: pages 1, 2, 3 were read by OCR" in notes
    assert "- blank: blank.pdf: no page has any text, nor anything OCR could read" in printed
    assert ("    - numbers: numbers.pdf: no passage of text was found in its 3 pages (only page numbers, headers, "
            "footers or nothing at all), so nothing of this review can be searched") in notes
    con = duckdb.connect(str(db), read_only=True)
    try:
        documents = {row[0]: row[1:] for row in con.execute(
            "SELECT review_id, status, needs_ocr_pages FROM documents").fetchall()}
        assert documents == {"partly": ("ok", []), "whole": ("ok", []), "blank": ("failed", None),
                             "numbers": ("ok", [])}
        assert con.execute("SELECT page, needs_ocr, ocr FROM pages WHERE review_id = 'partly' ORDER BY page"
                           ).fetchall() == [(1, False, False), (2, False, True), (3, False, False)]
        assert con.execute("SELECT min(ocr_confidence) FROM pages WHERE ocr").fetchone()[0] >= 80
        assert con.execute("SELECT count(*) FROM pages WHERE NOT ocr AND ocr_confidence IS NOT NULL").fetchone()[0] == 0
        texts = dict(con.execute("SELECT review_id, string_agg(text, ' ' ORDER BY seq) FROM passages GROUP BY 1"
                                 ).fetchall())
        assert set(texts) == {"partly", "whole"}
        assert "The health visitor had seen the baby every fortnight" in texts["whole"]
    finally:
        con.close()
    # a search says which passages were read by OCR
    found = CliRunner().invoke(main, ["search", "health visitor", "--json", "--limit", "50", "--db", str(db)])
    assert found.exit_code == 0, found.output
    hits = [(hit["review_id"], hit["page_start"], hit["ocr"]) for hit in map(json.loads, found.stdout.splitlines())]
    assert set(hits) == {("partly", 1, False), ("partly", 2, True), ("partly", 3, False), ("whole", 1, True),
                         ("whole", 2, True), ("whole", 3, True)}
    shown = CliRunner().invoke(main, ["search", "health visitor", "--limit", "50", "--db", str(db)]).stdout
    assert shown.count("read by OCR: check the words against the PDF") == sum(ocr for _, _, ocr in hits) > 0


def test_words_under_a_redaction_are_never_stored_or_found(tmp_path: Path) -> None:
    """A PDF redacted by painting black boxes over text that is still in the file: the hidden names reach
    neither the database nor a search."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    write_redacted_pdf(folder / "redacted.pdf")
    manifest = folder / "manifest.csv"
    manifest.write_text(
        "review_id,title,area,nation,review_type,year,source\n"
        "redacted,Review one,Thornley,England,CSPR,2024,redacted.pdf\n", encoding="utf-8")
    db = tmp_path / "db.duckdb"
    result = _run(tmp_path, db, "--no-themes", manifest=manifest)
    assert result.returncode == 0, result.stderr
    con = duckdb.connect(str(db), read_only=True)
    try:
        stored = " ".join(text for (text,) in con.execute("SELECT text FROM passages").fetchall())
        stored += " ".join(text for (text,) in con.execute("SELECT text FROM sentences").fetchall())
    finally:
        con.close()
    assert "Mrs [redacted], told the panel" in stored
    for hidden in ("Quonset", "Ellery", "Brackwater", "Ollerby", "Dorian", "Fenwick", "Ottoline", "Sorrel", "Wenna"):
        assert hidden not in stored
    for query, hits in (("Quonset", False), ("landlord", True)):  # the second: the search does find this review
        found = subprocess.run([*CLI, "search", query, "--db", str(db)], cwd=ROOT, env=_env(tmp_path),
                               capture_output=True, text=True, timeout=120)
        assert found.returncode == 0, found.stderr
        assert ("No passages found" not in found.stdout) == hits, found.stdout


def _one_review_corpus(tmp_path: Path) -> Path:
    """A manifest of one review, ``one``, whose file ``review.pdf`` is a copy of a demo PDF."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(ROOT / "corpus_manifest" / "demo" / "thornley-2017-child-p.pdf", folder / "review.pdf")
    manifest = folder / "manifest.csv"
    manifest.write_text(
        "review_id,title,area,nation,review_type,year,source\n"
        "one,Review one,Thornley,England,SCR,2017,review.pdf\n", encoding="utf-8")
    return manifest


def test_a_manifest_saved_as_plain_csv_by_excel_is_read_and_said_so(tmp_path: Path) -> None:
    # Excel's "CSV (Comma delimited)" on Windows: Windows-1252, here with a curly apostrophe, a circumflex and
    # a file name with an accent, which must be found on disk as it is named there.
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(ROOT / "corpus_manifest" / "demo" / "thornley-2017-child-p.pdf", folder / "r\u00e9vision.pdf")
    manifest = folder / "manifest.csv"
    manifest.write_bytes((
        "review_id,title,area,nation,review_type,year,source\r\n"
        "one,Children\u2019s review,Ynys M\u00f4n,Wales,CPR,2017,r\u00e9vision.pdf\r\n").encode("cp1252"))
    db = tmp_path / "db.duckdb"
    result = _run(tmp_path, db, "--no-themes", manifest=manifest)
    assert result.returncode == 0, result.stderr
    assert "reviews processed: 1" in result.stdout
    assert "manifest: manifest.csv is not UTF-8 text; it was read as Windows-1252" in result.stdout
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT title, area FROM reviews").fetchall() == [("Children\u2019s review",
                                                                            "Ynys M\u00f4n")]
        assert con.execute("SELECT count(*) FROM passages").fetchone()[0] > 0


def test_a_document_that_takes_too_long_is_stopped_and_the_run_goes_on(tmp_path: Path) -> None:
    manifest = _one_review_corpus(tmp_path)
    db = tmp_path / "db.duckdb"
    slow = _run(tmp_path, db, "--no-themes", "--document-time-limit", "0.00002", manifest=manifest)  # 1.2 ms
    assert slow.returncode == 0, slow.stderr
    assert "review.pdf: reading the PDF took longer than 0.0012 seconds and was stopped" in slow.stdout
    assert "run again with a longer --document-time-limit (in minutes)" in slow.stdout
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT status FROM documents").fetchall() == [("failed",)]
        assert con.execute("SELECT count(*) FROM passages").fetchone()[0] == 0
    again = _run(tmp_path, db, "--no-themes", manifest=manifest)  # the usual limit: read, and stored
    assert again.returncode == 0 and "reviews processed: 1" in again.stdout, again.stdout + again.stderr
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT status FROM documents").fetchall() == [("ok",)]


def test_a_text_with_no_paragraph_breaks_over_a_million_characters_long_is_split_into_passages() -> None:
    # A PDF of evenly spaced lines came as one block of 1.2 million characters; spaCy refused it (its limit is
    # 1,000,000) and the exception stopped the whole run.
    from pipeline.records import Block
    from pipeline.segment import segment

    words = ["the", "social", "worker", "visited", "the", "family", "home", "and", "saw", "the", "child"]
    text = " ".join(words[i % len(words)] + ("s" if i % 7 == 0 else "") for i in range(200_000))
    assert len(text) > 1_000_000
    passages = segment("long", [Block("paragraph", text, 1, 230)])
    assert len(passages) > 500 and all(text[p.char_start:p.char_end] == p.text for p in passages)
    assert "".join(p.text for p in passages).replace(" ", "") == text.replace(" ", "")


def test_a_review_whose_text_trips_a_later_stage_is_recorded_as_failed_naming_it(tmp_path: Path) -> None:
    # Reading a PDF was guarded (one document must never stop a run); splitting its text and tagging it were
    # not, so any fault there stopped the run with a traceback, and every later run at the same review.
    from pipeline.fetch import FetchedDocument
    from pipeline.flow import _extract_and_tag

    pdf = ROOT / "corpus_manifest" / "demo" / "thornley-2017-child-p.pdf"
    entry = load_manifest(_one_review_corpus(tmp_path)).entries[0]
    fetched = FetchedDocument(source="review.pdf", path=pdf, sha256="ab" * 32, size=pdf.stat().st_size,
                              kind="pdf", from_cache=False, attempts=[])

    def tagger_that_fails(passages):
        raise ValueError(f"cannot tag {len(passages)} passages")

    result = _extract_and_tag(entry, fetched, tagger_that_fails)
    assert result.status == "failed" and result.passages == [] and result.themes == []
    assert result.error.startswith("review.pdf: its text was read, but could not be split into passages and "
                                   "tagged (ValueError: cannot tag ")
    assert result.error.endswith("this is a casereview bug, please report it with the file")
    assert _extract_and_tag(entry, fetched, None).status == "ok"
    # a fault of the model or the database is not the document's: it stops the run, as before, and blames no PDF
    from pipeline.themes.errors import ThemeError

    def model_changed(passages):
        raise ThemeError("the theme model changed during the run")

    with pytest.raises(ThemeError, match="changed during the run"):
        _extract_and_tag(entry, fetched, model_changed)


def _documents_written(db: Path) -> int:
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error:
        return -1  # the writer holds the file right now
    try:
        return con.execute("SELECT count(*) FROM passages").fetchone()[0]
    except duckdb.Error:
        return -1
    finally:
        con.close()


@pytest.mark.slow
def test_run_killed_midway_leaves_no_partial_review_and_rerun_completes(tmp_path: Path) -> None:
    db = tmp_path / "killed.duckdb"
    process = subprocess.Popen(
        [*CLI, "run", "--manifest", str(DEMO_MANIFEST), "--db", str(db), "--quiet", "--workers", "1", "--no-themes"],
        cwd=ROOT, env=_env(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,  # so the kill below also reaches Prefect's temporary server
    )
    _wait_for_a_saved_review(process, db)
    assert process.poll() is None, "the run finished before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()

    expected = _expected_passages()
    con = duckdb.connect(str(db), read_only=True)
    try:
        stored = dict(con.execute("SELECT review_id, count(*) FROM passages GROUP BY 1").fetchall())
        ok_docs = {r for (r,) in con.execute("SELECT review_id FROM documents WHERE status = 'ok'").fetchall()}
    finally:
        con.close()
    assert stored, "nothing was written before the kill"
    assert len(stored) < len(expected), "the kill came after the whole run"
    for review_id, count in stored.items():
        assert count == expected[review_id], f"{review_id} is half-written"
        assert review_id in ok_docs

    result = _run(tmp_path, db, "--no-themes")
    assert result.returncode == 0, result.stderr
    con = duckdb.connect(str(db), read_only=True)
    try:
        stored = dict(con.execute("SELECT review_id, count(*) FROM passages GROUP BY 1").fetchall())
        assert con.execute("SELECT count(*) - count(DISTINCT passage_id) FROM passages").fetchone()[0] == 0
        statuses = dict(con.execute("SELECT status, count(*) FROM runs GROUP BY 1").fetchall())
    finally:
        con.close()
    assert stored == expected
    assert statuses.get("interrupted", 0) == 1


_STOPPED_RUN = """
import json, sys
from pathlib import Path
from pipeline.settings import quiet_third_parties
quiet_third_parties()  # before Prefect is imported: no telemetry
from pipeline.flow import RunOptions, run_pipeline
seen = []
def done(review_id, outcome):
    seen.append(review_id)
    if len(seen) == 2:
        raise KeyboardInterrupt  # as Ctrl+C would, after the second review
try:
    run_pipeline(Path(sys.argv[1]), RunOptions(db_path=Path(sys.argv[2]), workers=1, progress=False,
                                               on_review_done=done))
except KeyboardInterrupt:
    print(json.dumps(seen))
"""


@pytest.mark.slow
def test_a_rerun_records_every_skipped_review_even_when_stopped(tmp_path: Path) -> None:
    """A re-run records its skipped reviews in batches: those it checked before a stop are still in its log,
    and a full re-run logs every review as skipped, with the titles edited in the manifest since."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    names = ["thornley-2017-child-p", "harrowden-2015-child-s", "kestrel-bay-2018-child-r"]
    for name in names:
        shutil.copy(ROOT / "corpus_manifest" / "demo" / f"{name}.pdf", folder)
    manifest = folder / "manifest.csv"

    def write_manifest(title: str) -> None:
        rows = [f"r{k},{title} {k},Thornley,England,SCR,2017,{name}.pdf" for k, name in enumerate(names)]
        manifest.write_text("\n".join(["review_id,title,area,nation,review_type,year,source", *rows]) + "\n",
                            encoding="utf-8")

    def runs_and_log() -> tuple[list[tuple], list[list[str]]]:
        """Each run's status and counts, and its log: 'review: outcome' for each review, in review order."""
        con = duckdb.connect(str(db), read_only=True)
        try:
            runs = con.execute("SELECT status, reviews_processed, reviews_skipped FROM runs ORDER BY started_at")
            runs = runs.fetchall()
            log = con.execute("SELECT list(rr.review_id || ': ' || rr.outcome ORDER BY rr.review_id) FROM runs r "
                              "JOIN run_reviews rr USING (run_id) GROUP BY r.started_at ORDER BY r.started_at")
            return runs, [row[0] for row in log.fetchall()]
        finally:
            con.close()

    db = tmp_path / "db.duckdb"
    write_manifest("Review")
    assert _run(tmp_path, db, "--no-themes", manifest=manifest).returncode == 0
    stopped = subprocess.run([sys.executable, "-c", _STOPPED_RUN, str(manifest), str(db)], cwd=ROOT,
                             env=_env(tmp_path), capture_output=True, text=True, timeout=300)
    checked = json.loads(stopped.stdout.strip().splitlines()[-1])  # a review already started may finish too
    assert checked[:2] == ["r0", "r1"], stopped.stderr
    assert "telemetry" not in stopped.stderr
    runs, log = runs_and_log()
    assert runs[1][0] == "interrupted"
    assert log[1] == [f"{rid}: skipped" for rid in sorted(checked)]

    write_manifest("Renamed")
    result = _run(tmp_path, db, "--no-themes", manifest=manifest)
    assert result.returncode == 0 and "reviews skipped (unchanged): 3" in result.stdout, result.stdout
    runs, log = runs_and_log()
    assert runs[2] == ("finished", 0, 3)
    assert log[2] == [f"r{k}: skipped" for k in range(3)]
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT title FROM reviews ORDER BY 1").fetchall() == [(f"Renamed {k}",) for k in range(3)]
    finally:
        con.close()


def _prefect_servers_of(pid: int) -> list[int]:
    """The process ids of Prefect's temporary servers whose parent is ``pid`` (Linux: read from /proc)."""
    servers = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid and b"uvicorn" in cmdline and b"prefect.server.api.server:create_app" in cmdline:
            servers.append(int(entry.name))
    return servers


def _running(pid: int) -> bool:
    """Whether ``pid`` runs (a process that has exited but is not yet reaped does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the server through /proc (Linux)")
def test_a_run_killed_outright_does_not_leave_prefects_temporary_server_running(tmp_path: Path) -> None:
    """kill -9 (or the out-of-memory killer) gives the run no chance to stop the server it started: its watcher
    does, within seconds."""
    db = tmp_path / "killed.duckdb"
    env = {key: value for key, value in _env(tmp_path).items() if key != "PREFECT_API_URL"}  # its own server
    process = subprocess.Popen(
        [*CLI, "run", "--manifest", str(DEMO_MANIFEST), "--db", str(db), "--quiet", "--workers", "1", "--no-themes"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        _wait_for_a_saved_review(process, db)
        assert process.poll() is None, "the run finished before it could be killed"
        servers = _prefect_servers_of(process.pid)
        assert len(servers) == 1, "the run did not start a temporary Prefect server of its own"
        os.kill(process.pid, signal.SIGKILL)  # the run alone: nothing else of its group is told
        process.wait()
        deadline = time.time() + 20
        while time.time() < deadline and _running(servers[0]):
            time.sleep(0.2)
        assert not _running(servers[0]), "Prefect's temporary server outlived the run killed outright"
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _wait_for_a_saved_review(process: subprocess.Popen, db: Path) -> None:
    """Wait (up to 5 minutes) until the run ``process`` has saved a review in ``db``, or has ended."""
    deadline = time.time() + 300
    while time.time() < deadline and process.poll() is None:
        if db.exists() and _documents_written(db) > 0:
            return
        time.sleep(0.05)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_run_told_to_stop_stops_tidily_and_a_search_then_finds_what_it_saved(tmp_path: Path) -> None:
    """SIGTERM (kill, a scheduler's time-out) stops a run as Ctrl+C does: reviews not started are not started,
    the run is recorded as interrupted at once, Prefect's temporary server goes too, and the next search
    indexes the passages the run saved before it stopped."""
    db = tmp_path / "stopped.duckdb"
    process = subprocess.Popen(
        [*CLI, "run", "--manifest", str(DEMO_MANIFEST), "--db", str(db), "--quiet", "--workers", "1", "--no-themes"],
        cwd=ROOT, env={key: value for key, value in _env(tmp_path).items() if key != "PREFECT_API_URL"},  # its own
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )
    try:
        _wait_for_a_saved_review(process, db)
        assert process.poll() is None, "the run finished before it could be stopped"
        process.terminate()
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 143, stderr  # 128 + SIGTERM, as shells report it
        assert "Stopped. The reviews saved before the stop are whole, and nothing is half-written" in stderr
        left = time.time() + 15  # nothing of the run is left running (Prefect's server included)
        while time.time() < left and _group_alive(process.pid):
            time.sleep(0.2)
        assert not _group_alive(process.pid), "a process of the stopped run is still running"
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    expected = _expected_passages()
    con = duckdb.connect(str(db), read_only=True)
    try:
        stored = dict(con.execute("SELECT review_id, count(*) FROM passages GROUP BY 1").fetchall())
        statuses = dict(con.execute("SELECT status, count(*) FROM runs GROUP BY 1").fetchall())
        title = con.execute("SELECT r.title FROM reviews r JOIN passages p USING (review_id) LIMIT 1").fetchone()[0]
    finally:
        con.close()
    assert stored and len(stored) < len(expected) and statuses == {"interrupted": 1}
    assert all(count == expected[review_id] for review_id, count in stored.items())
    # the run stopped before it built the search index: the first search builds it
    word = max(title.split(), key=len)
    search = subprocess.run([*CLI, "search", word, "--db", str(db), "--json"], cwd=ROOT, env=_env(tmp_path),
                            capture_output=True, text=True, timeout=300)
    assert search.returncode == 0, search.stderr
    assert search.stdout.strip() and "not in the search index" not in search.stderr


@pytest.mark.skipif(os.name != "posix", reason="sessions are POSIX")
def test_the_temporary_server_starts_in_a_session_of_its_own_with_its_libraries_quiet() -> None:
    # stopped in the middle of a request, its database pool logged a traceback under the run's message at Ctrl+C
    from pipeline.server_guard import _popen_own_session

    program = ("import os, logging; from prefect.logging.configuration import setup_logging; setup_logging(); "
               "print(os.getsid(0) == os.getpid(), logging.getLogger('sqlalchemy.pool').getEffectiveLevel(), "
               "logging.getLogger('prefect.server').getEffectiveLevel())")
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_LOGGING")}
    process = _popen_own_session([sys.executable, "-c", program], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                 text=True)
    out, _ = process.communicate(timeout=120)
    assert out.split() == ["True", str(logging.CRITICAL), str(logging.WARNING)]  # Prefect's own warnings still show


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="the watcher knows the server through /proc (Linux)")
def test_the_temporary_server_is_watched_from_its_start_so_a_run_killed_while_it_starts_leaves_it_not(
        tmp_path: Path) -> None:
    # Prefect waits for its server to answer before the flow starts; a run killed outright in those seconds
    # left the server running for good, as the watcher was started only inside the flow. Here the "run" is a
    # process that starts a stand-in server (named as Prefect's is) the way Prefect does, and is killed at once.
    marker = "prefect.server" + ".api.server:create_app"  # split: not in the run's own command line
    run = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pipeline.server_guard import _popen_own_session as p; "
                               "s = p([sys.executable, '-c', 'import time; time.sleep(120)', sys.argv[1]]); "
                               "print(s.pid, flush=True); time = __import__('time'); time.sleep(120)", marker],
        cwd=ROOT, stdout=subprocess.PIPE, text=True, start_new_session=True)
    server = int(run.stdout.readline())
    try:
        assert _running(server)
        os.kill(run.pid, signal.SIGKILL)
        run.wait()
        deadline = time.time() + 20
        while time.time() < deadline and _running(server):
            time.sleep(0.2)
        assert not _running(server), "the server outlived the run killed while it started"
    finally:
        for pid in (run.pid, server):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the server through /proc (Linux)")
@pytest.mark.skipif(not ocr_available(), reason="needs a scan being read by OCR when the stop comes")
def test_prefects_server_module_is_only_loaded_when_a_run_starts_a_temporary_server() -> None:
    # It takes seconds to import; a run told to use a server of its own starts none, so skips it.
    program = ("import sys; from pipeline.server_guard import detach_temporary_server as d, guard_temporary_server "
               "as g; print(g() == [] and d(), 'prefect.server.api.server' in sys.modules)")
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    for url, expected in ((None, "True True"), ("http://127.0.0.1:9/api", "False False")):
        result = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True,
                                env={**env, **({"PREFECT_API_URL": url} if url else {})}, timeout=120)
        assert result.stdout.strip() == expected, result.stderr


def test_ctrl_c_stops_a_run_tidily_and_blames_no_document(tmp_path: Path) -> None:
    """Ctrl+C in a terminal reaches every process of the run's group: the run, Prefect's temporary server and
    the process reading a document. The run must still stop its own way (its message, status 130, no
    tracebacks), give up the scan it was reading by OCR without recording it as a damaged PDF, and leave
    nothing running."""
    from tests.scanned_pdf import write_scan

    folder = tmp_path / "corpus"
    folder.mkdir()
    names = ["thornley-2017-child-p", "scanned-review", "harrowden-2015-child-s"]
    demo = ROOT / "corpus_manifest" / "demo"
    for name in (names[0], names[2]):
        shutil.copy(demo / f"{name}.pdf", folder)
    # a scan of 24 pages, read by OCR for half a minute or more: still being read when the first review is saved
    # (the demo's one-page scan took under two seconds, and was sometimes saved before the stop on a fast machine;
    # one of eight pages was, once, on a machine busy with other work)
    write_scan(demo / "northmoor-2016-child-d.pdf", folder / "scanned-review.pdf", pages=list(range(1, 9)) * 3)
    manifest = folder / "manifest.csv"
    manifest.write_text("review_id,title,area,nation,review_type,year,source\n" + "".join(
        f"{name},Review {k},Thornley,England,SCR,2017,{name}.pdf\n" for k, name in enumerate(names)),
        encoding="utf-8")
    db = tmp_path / "ctrl-c.duckdb"
    env = {key: value for key, value in _env(tmp_path).items() if key != "PREFECT_API_URL"}  # its own server
    process = subprocess.Popen(
        [*CLI, "run", "--manifest", str(manifest), "--db", str(db), "--quiet", "--workers", "2", "--no-themes"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    try:
        _wait_for_a_saved_review(process, db)  # the first review; the scan is being read by OCR (seconds)
        assert process.poll() is None, "the run finished before it could be stopped"
        servers = _prefect_servers_of(process.pid)
        os.killpg(process.pid, signal.SIGINT)  # as Ctrl+C does: the whole group
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 130, stderr
        assert "Stopped. The reviews saved before the stop are whole" in stderr
        assert "Traceback" not in stderr and "Unable to connect" not in stderr, stderr
        left = time.time() + 15
        while time.time() < left and (_group_alive(process.pid) or any(_running(pid) for pid in servers)):
            time.sleep(0.2)
        assert not _group_alive(process.pid), "a process of the stopped run is still running"
        assert not any(_running(pid) for pid in servers), "Prefect's temporary server outlived the stopped run"
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    con = duckdb.connect(str(db), read_only=True)
    try:
        statuses = dict(con.execute("SELECT status, count(*) FROM documents GROUP BY 1").fetchall())
        run = con.execute("SELECT status, reviews_processed, reviews_failed FROM runs").fetchall()
    finally:
        con.close()
    assert "failed" not in statuses, statuses  # the scan given up is not blamed on its PDF
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM documents WHERE review_id = 'scanned-review'").fetchone()[0] == 0
    finally:
        con.close()
    assert run == [("interrupted", statuses.get("ok", 0), 0)]  # the run's record counts what it saved


@pytest.mark.slow
def test_run_fetches_over_http_and_records_each_failure(tmp_path: Path) -> None:
    """A manifest of URLs served by a real server on 127.0.0.1: good, flaky, missing and HTML-as-PDF."""
    from tests.http_server import MisbehavingServer

    pdf = (ROOT / "corpus_manifest" / "demo" / "thornley-2017-child-p.pdf").read_bytes()
    with MisbehavingServer(pdf) as server:
        manifest = tmp_path / "web.csv"
        rows = [("good", "/pdf"), ("flaky", "/flaky"), ("gone", "/missing"), ("webpage", "/html-as-pdf"),
                ("page", "/review-page"), ("briefed", "/reviews-page")]
        manifest.write_text(
            "review_id,title,area,nation,review_type,year,source\n"
            + "".join(f"{rid},Review {rid},Thornley,England,SCR,2017,{server.url(path)}\n" for rid, path in rows),
            encoding="utf-8",
        )
        db = tmp_path / "web.duckdb"
        result = _run(tmp_path, db, "--no-themes", manifest=manifest)
        assert result.returncode == 0, result.stderr
        assert server.hits["/missing"] == 1  # a 404 is not retried
        assert server.hits["/flaky"] == 2  # a 500 is retried, then succeeds
        # a run of a manifest that lists fewer reviews keeps the others, and says so
        fewer = tmp_path / "fewer.csv"
        fewer.write_text("".join(manifest.read_text(encoding="utf-8").splitlines(keepends=True)[:2]),
                         encoding="utf-8")
        again = _run(tmp_path, db, "--no-themes", manifest=fewer)
        assert again.returncode == 0, again.stderr
        assert ("in the database but not in this manifest (kept, and still searched and counted; "
                f"`casereview remove --db {db} REVIEW_ID` removes one): briefed, flaky, gone, page, webpage"
                ) in again.stdout
    con = duckdb.connect(str(db), read_only=True)
    try:
        status = dict(con.execute("SELECT review_id, status FROM documents").fetchall())
        errors = dict(con.execute("SELECT review_id, error FROM documents WHERE status = 'failed'").fetchall())
        attempts = con.execute("SELECT count(*) FROM fetch_attempts WHERE review_id = 'flaky'").fetchone()[0]
        same_blob = con.execute("SELECT count(DISTINCT sha256) FROM documents WHERE review_id IN "
                                "('good', 'flaky', 'page')").fetchone()[0]
        page_note = con.execute("SELECT error FROM documents WHERE review_id = 'page'").fetchone()[0]
        page_urls = [u for (u,) in con.execute("SELECT url FROM fetch_attempts WHERE review_id = 'page' "
                                               "ORDER BY attempt").fetchall()]
        page_passages = con.execute("SELECT count(*) FROM passages WHERE review_id = 'page'").fetchone()[0]
        message = con.execute("SELECT message FROM run_reviews WHERE review_id = 'page'").fetchone()[0]
        briefed_note = con.execute("SELECT error FROM documents WHERE review_id = 'briefed'").fetchone()[0]
    finally:
        con.close()
    assert status == {"good": "ok", "flaky": "ok", "gone": "failed", "webpage": "failed", "page": "ok",
                      "briefed": "ok"}
    # A link to the web page about a review reads the one PDF the page links to, and says so.
    assert page_urls == [server.url("/review-page"), server.url("/files/child-d.pdf")]
    assert page_passages > 0
    assert "web page" in page_note and server.url("/files/child-d.pdf") in page_note
    assert server.url("/files/child-d.pdf") in message
    # A page that offers the review with its briefing and action plan gives the review, naming the others.
    assert briefed_note.startswith(f"The source is a web page linking to 3 PDFs; the text is from the one taken "
                                   f"for the review, {server.url('/files/child-d.pdf')} (the others were taken "
                                   f'for documents published beside it: a briefing: "Briefing" ')
    assert server.hits["/downloads/file/12"] == server.hits["/downloads/file/13"] == 0
    notes = result.stdout.partition(NOTES_HEADING)[2]
    assert "\n    - briefed: The source is a web page linking to 3 PDFs" in notes
    # The three links give one file: the run says so, as does status, naming the manifest lines.
    same = result.stdout.partition("the same document under more than one review_id")[2]
    same_line = "- good (manifest line 2), flaky (manifest line 3), page (manifest line 6), briefed (manifest line 7)"
    assert same_line in same
    status = CliRunner().invoke(main, ["status", "--db", str(db)])
    # ("good" was listed last by fewer.csv, the others by web.csv: each line is named with its manifest)
    assert ("- good (line 2 of fewer.csv), flaky (line 3 of web.csv), page (line 6 of web.csv), briefed (line 7 of "
            "web.csv)") in status.output
    assert "404" in errors["gone"] and server.url("/missing") in errors["gone"]
    assert "HTML" in errors["webpage"]
    assert attempts == 2
    assert same_blob == 1
    blobs = list((tmp_path / "web-store" / "blobs").rglob("*"))  # the store beside the database
    # the PDF once (content-addressed) and the three HTML pages
    assert len([b for b in blobs if b.is_file()]) == 4


def _numbered_from_page_three(path: Path) -> None:
    """A cover, a contents page numbered "ii", then pages printed 1 to 4 ("Page N of 4" in the footer), the
    third of them a full-page table with no footer; each page says which printed page it is."""
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path))
    pages = [("Child Safeguarding Practice Review: Child L", None), ("Contents", "ii")] + [
        (f"The reviewer set out the findings on the page printed as number {n} of the report, where the "
         f"word {word} appears.", None if n == 3 else f"Page {n} of 4")
        for n, word in zip(range(1, 5), ("kestrelwing", "marshwillow", "fenlantern", "heronpath"), strict=True)]
    for text, footer in pages:
        pdf.setFont("Helvetica", 10)
        for row in range(14):  # a paragraph long enough to be a passage of its own
            pdf.drawString(60, 760 - 14 * row, text if row == 0 else
                           f"Line {row} of the paragraph goes on about the work of the agencies and the family")
        pdf.drawString(60, 760 - 14 * 14, "and ends here.")
        if footer:
            pdf.setFont("Helvetica", 9)
            pdf.drawString(280, 40, footer)
        pdf.showPage()
    pdf.save()


def test_pages_are_shown_with_the_numbers_printed_on_them(tmp_path: Path) -> None:
    # A cover and a contents page come before page 1: people cite the printed number, a viewer goes to the
    # PDF's page, so results give both where they differ.
    folder = tmp_path / "corpus"
    folder.mkdir()
    _numbered_from_page_three(folder / "numbered.pdf")
    db, _, _ = _run_folder(tmp_path, ["numbered"])
    con = duckdb.connect(str(db), read_only=True)
    try:
        printed = con.execute("SELECT page, printed FROM pages ORDER BY page").fetchall()
    finally:
        con.close()
    # the contents page's "ii" and the cover are not numbers to trust; the footless page 5 is numbered from
    # its neighbours
    assert printed == [(1, None), (2, None), (3, 1), (4, 2), (5, 3), (6, 4)]
    runner = CliRunner()
    result = runner.invoke(main, ["search", "marshwillow", "--db", str(db)])
    assert result.exit_code == 0 and "p. 4 (printed as page 2)" in result.output, result.output
    result = runner.invoke(main, ["search", "fenlantern", "--db", str(db), "--json"])
    hit = json.loads(result.stdout.splitlines()[0])
    assert (hit["page_start"], hit["printed_start"]) == (5, 3)
    result = runner.invoke(main, ["search", '"Child L"', "--db", str(db)])  # the cover: no printed number
    assert "· p. 1\n" in result.output and "printed as" not in result.output, result.output
