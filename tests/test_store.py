"""Tests for the DuckDB store: schema and migrations, one-transaction writes, runs, search and summaries.

Every test uses a real database file in a temporary folder.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import numpy as np
import pytest

from pipeline import store as store_module
from pipeline.fetch import FetchAttempt
from pipeline.manifest import ManifestEntry
from pipeline.records import Evidence, PageInfo, Passage, Sentence, ThemeTag
from pipeline.settings import PIPELINE_VERSION
from pipeline.store import ReviewResult, Store, StoreError

SHA_A = "a" * 64
SHA_B = "b" * 64
EXPECTED_COLUMNS = {
    "schema_migrations": ["version", "name", "applied_at"],
    "reviews": [
        "review_id", "title", "area", "nation", "review_type", "year", "published", "source", "notes",
        "manifest_line",
    ],
    "documents": [
        "review_id", "sha256", "status", "error", "pages", "needs_ocr_pages", "size_bytes", "content_kind",
        "pipeline_version", "fetched_at", "processed_at", "run_id", "theme_model", "ocr_on", "ocr_left",
    ],
    "pages": ["review_id", "page", "chars", "needs_ocr", "ocr", "ocr_confidence", "printed"],
    "passages": [
        "passage_id", "review_id", "seq", "text", "page_start", "page_end", "section", "char_start", "char_end",
        "headings", "footnote",
    ],
    "sentences": ["passage_id", "seq", "review_id", "text", "char_start", "char_end"],
    "runs": [
        "run_id", "started_at", "finished_at", "manifest", "manifest_sha256", "pipeline_version",
        "reviews_processed", "reviews_skipped", "reviews_failed", "pages", "passages", "status", "manifest_path",
    ],
    "run_reviews": ["run_id", "review_id", "outcome", "message", "seconds"],
    "fetch_attempts": [
        "run_id", "review_id", "attempt", "url", "status_code", "error", "elapsed_s", "attempted_at",
    ],
    "passage_themes": ["passage_id", "review_id", "theme", "score", "model_version"],
    "theme_evidence": ["passage_id", "theme", "rank", "sentence_seq", "text", "score"],
    "review_themes": ["review_id", "theme", "model_version", "passages_tagged", "max_score", "top_evidence"],
    "passage_embeddings": ["passage_id", "model", "vector"],
    "topic_models": ["model_version", "fitted_at", "encoder", "seed", "min_topic_size", "passages", "topics",
                     "model_dir"],
    "topics": ["topic_id", "label", "terms", "size", "model_version"],
    "topic_representatives": ["topic_id", "model_version", "rank", "passage_id"],
    "passage_topics": ["passage_id", "topic_id", "probability", "model_version"],
    "theme_checks": ["check_id", "recorded_at", "model_version", "gold_file", "gold_sha256", "passages", "sample",
                     "report"],
    "theme_check_scores": ["check_id", "theme", "support", "tagged", "left_out", "precision", "recall", "f1",
                           "f1_low", "f1_high"],
}
EXPECTED_VIEWS = {"v_review_summary", "v_theme_evidence", "v_theme_trends", "v_topic_themes", "v_topic_trends",
                  "v_review_findings", "v_review_recommendations"}
DATA_TABLES = [name for name in EXPECTED_COLUMNS if name != "schema_migrations"]


# --------------------------------------------------------------------------- builders


def make_entry(review_id: str = "northmoor-2019-child-d", **changes) -> ManifestEntry:
    values = dict(
        review_id=review_id,
        title="Child D: a child safeguarding practice review",
        area="Northmoor",
        nation="England",
        review_type="CSPR",
        year=2019,
        published=datetime.date(2019, 6, 1),
        source=f"demo/{review_id}.pdf",
        sha256=None,
        notes=None,
        line=2,
    )
    values.update(changes)
    return ManifestEntry(**values)


def make_passage(review_id: str, seq: int, text: str, page: int = 1, sentences: int = 2) -> Passage:
    parts = [f"{text} (sentence {n})." for n in range(1, sentences + 1)]
    offsets, start = [], 0
    for part in parts:
        offsets.append((start, start + len(part)))
        start += len(part) + 1
    return Passage(
        passage_id=f"{review_id}-p{seq}",
        review_id=review_id,
        seq=seq,
        text=" ".join(parts),
        page_start=page,
        page_end=page,
        section="Findings",
        char_start=seq * 1000,
        char_end=seq * 1000 + start - 1,
        sentences=tuple(
            Sentence(seq=n, text=part, char_start=a, char_end=b)
            for n, (part, (a, b)) in enumerate(zip(parts, offsets, strict=True), start=1)
        ),
    )


def make_result(
    entry: ManifestEntry | None = None,
    status: str = "ok",
    sha256: str = SHA_A,
    texts: tuple[str, ...] = ("The health visitor saw the baby twice.", "Neglect was not recognised."),
    tags: tuple[tuple[int, str, float], ...] = ((2, "neglect", 0.9),),
    **changes,
) -> ReviewResult:
    entry = entry or make_entry()
    passages = [make_passage(entry.review_id, seq, text, page=seq) for seq, text in enumerate(texts, start=1)]
    tags = [
        ThemeTag(
            passage_id=passages[seq - 1].passage_id,
            theme=theme,
            score=score,
            model_version="themes-v1",
            evidence=(Evidence(sentence_seq=1, text=passages[seq - 1].sentences[0].text, score=score),),
        )
        for seq, theme, score in tags
    ]
    values = dict(
        entry=entry,
        status=status,
        error=None,
        sha256=sha256,
        size_bytes=12345,
        content_kind="pdf",
        fetched_at=datetime.datetime(2026, 11, 15, 10, 30, tzinfo=datetime.UTC),
        pages=[PageInfo(number=n, chars=1500, needs_ocr=False) for n in range(1, len(texts) + 1)],
        passages=passages,
        themes=tags,
        attempts=[attempt()],
    )
    values.update(changes)
    return ReviewResult(**values)


def failed_result(entry: ManifestEntry | None = None, error: str = "HTTP 404 Not Found", **changes):
    values = dict(sha256=None, size_bytes=None, content_kind=None, pages=[], passages=[], themes=[])
    values.update(changes)
    return make_result(entry, status="failed", error=error, **values)


def attempt(number: int = 1, status_code: int | None = 200, error: str | None = None) -> FetchAttempt:
    return FetchAttempt(
        url="https://example.org/review.pdf",
        attempt=number,
        status_code=status_code,
        error=error,
        elapsed_s=0.25,
        at=datetime.datetime(2026, 11, 15, 10, 29, 59, tzinfo=datetime.UTC),
    )


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "out" / "casereview.duckdb"


@pytest.fixture
def store(db_path: Path) -> Store:
    return Store(db_path)


def query(store: Store, sql: str, params: list | None = None) -> list[tuple]:
    with store.connect(read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def count(store: Store, table: str, review_id: str | None = None) -> int:
    if review_id is None:
        return query(store, f"SELECT count(*) FROM {table}")[0][0]
    return query(store, f"SELECT count(*) FROM {table} WHERE review_id = ?", [review_id])[0][0]


def snapshot(store: Store) -> dict[str, list[tuple]]:
    """Every row of every data table, sorted, to compare a database before and after."""
    with store.connect(read_only=True) as con:
        return {table: sorted(map(repr, con.execute(f"SELECT * FROM {table}").fetchall())) for table in DATA_TABLES}


# --------------------------------------------------------------------------- schema and migrations


def test_schema_has_every_documented_table_and_column(store: Store):
    with store.connect(read_only=True) as con:
        rows = con.execute(
            "SELECT c.table_name, c.column_name FROM information_schema.columns c "
            "JOIN information_schema.tables t USING (table_schema, table_name) "
            "WHERE c.table_schema = 'main' AND t.table_type = 'BASE TABLE' ORDER BY c.table_name, c.ordinal_position"
        ).fetchall()
        views = {name for (name,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'VIEW'").fetchall()}
    found: dict[str, list[str]] = {}
    for table, column in rows:
        found.setdefault(table, []).append(column)
    assert found == EXPECTED_COLUMNS
    assert views == EXPECTED_VIEWS


def test_a_mistyped_query_gets_duckdbs_hints_and_the_list_of_tables(store: Store, db_path: Path):
    from pipeline.errors import CaseReviewError
    from pipeline.query import run_read_only

    with pytest.raises(CaseReviewError) as table:
        run_read_only(db_path, "SELECT * FROM passage")
    message = str(table.value)
    assert 'Did you mean "passages"?' in message and "LINE 1: SELECT * FROM passage" in message
    assert "Tables and views: " in message and "review_themes" in message and "v_theme_evidence" in message
    assert "fts_main" not in message and "postings" not in message
    with pytest.raises(CaseReviewError) as column:
        run_read_only(db_path, "SELECT txt FROM passages")
    assert 'Candidate bindings: "text"' in str(column.value) and "Tables and views" not in str(column.value)
    assert "described in docs/schema.md and docs/views.md" in str(column.value)
    # a value written without quotes, or in SQL's double quotes, is read as a column: say how to write it
    for typed in ("Wales", '"Wales"'):
        with pytest.raises(CaseReviewError) as value:
            run_read_only(db_path, f"SELECT review_id FROM reviews WHERE nation = {typed}")
        assert "If Wales is a value to compare with (a nation, a name, words), not a column, write it in single " \
               "quotes: 'Wales'." in str(value.value)
    with pytest.raises(CaseReviewError) as apostrophe:
        run_read_only(db_path, 'SELECT review_id FROM reviews WHERE area = "King\'s Lynn"')
    assert "write it in single quotes: 'King''s Lynn'." in str(apostrophe.value)


def test_the_sql_command_upgrades_an_older_database_first(db_path: Path):
    # A database made before the findings views: `casereview sql` is often the first command after an upgrade.
    from click.testing import CliRunner

    from pipeline.cli import main

    Store(db_path)
    with Store(db_path).connect() as con:
        con.execute("DROP VIEW v_review_findings; DROP VIEW v_review_recommendations; "
                    "DELETE FROM schema_migrations WHERE version = 9")
    result = CliRunner().invoke(main, ["sql", "SELECT count(*) AS n FROM v_review_findings", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    assert result.output.split() == ["n", "0"]


def test_the_sql_command_says_what_an_empty_query_or_result_is_and_shows_missing_values_as_null(db_path: Path):
    from click.testing import CliRunner

    from pipeline.cli import main

    Store(db_path)
    for empty in ("", "   ", ";"):
        result = CliRunner().invoke(main, ["sql", empty, "--db", str(db_path)])
        assert result.exit_code == 2 and "the query is empty: give a SELECT" in result.output, repr(empty)
    result = CliRunner().invoke(main, ["sql", "SELECT review_id, year FROM reviews", "--db", str(db_path)])
    assert result.exit_code == 0 and result.output == "No rows (columns: review_id, year).\n"
    result = CliRunner().invoke(main, ["sql", "SELECT 'a' AS t, NULL::VARCHAR AS u, NULL::INTEGER AS n, "
                                       "NULL::DOUBLE AS d", "--db", str(db_path)])
    assert result.exit_code == 0 and result.output.split() == ["t", "u", "n", "d", "a", "NULL", "NULL", "NULL"]
    as_json = CliRunner().invoke(main, ["sql", "SELECT NULL::DOUBLE AS d, NULL::TIMESTAMP AS t, "
                                        "TIMESTAMP '2024-04-18 09:30:00' AS w", "--format", "json", "--db",
                                        str(db_path)])
    assert json.loads(as_json.output) == {"d": None, "t": None, "w": "2024-04-18T09:30:00"}  # NaN is not JSON
    # a sum of whole numbers (a HUGEINT) stays whole, in every format; two statements are refused, not half-shown
    for fmt, expected in (("table", ["pages", "none", "6", "NULL"]), ("csv", ["pages,none", "6,"]),
                          ("json", ['{"pages":', "6,", '"none":', "null}"])):
        summed = CliRunner().invoke(main, ["sql", "SELECT sum(x) AS pages, NULL::HUGEINT AS none FROM range(4) t(x)",
                                           "--format", fmt, "--db", str(db_path)])
        assert summed.exit_code == 0 and summed.output.split() == expected, summed.output
    both = CliRunner().invoke(main, ["sql", "SELECT 1; SELECT 2", "--db", str(db_path)])
    assert both.exit_code == 2 and "the query holds 2 statements (separated by ;)" in both.output
    assert CliRunner().invoke(main, ["sql", "SELECT 1 AS one;", "--db", str(db_path)]).exit_code == 0
    for limit in ("0", "-1"):  # printed the table object itself, or "22 rows ... 24 more"
        refused = CliRunner().invoke(main, ["sql", "SELECT 1 AS one", "--limit", limit, "--db", str(db_path)])
        assert refused.exit_code == 2 and "--limit" in refused.output and "DataFrame" not in refused.output


def test_the_sql_command_writes_lists_and_dates_as_people_read_them_and_saves_tables(db_path: Path, tmp_path: Path):
    import openpyxl
    from click.testing import CliRunner

    from pipeline.cli import main

    Store(db_path)
    query = "SELECT DATE '2022-09-05' AS published, ['assessment', 'legal_powers'] AS themes, 'Child – M' AS t"
    csv_out = CliRunner().invoke(main, ["sql", query, "--format", "csv", "--db", str(db_path)])
    assert csv_out.output.splitlines() == ["published,themes,t", "2022-09-05,assessment; legal_powers,Child – M"]
    as_json = CliRunner().invoke(main, ["sql", query, "--format", "json", "--db", str(db_path)])
    assert json.loads(as_json.output) == {"published": "2022-09-05", "themes": ["assessment", "legal_powers"],
                                          "t": "Child – M"}
    many = "SELECT range AS n FROM range(150)"  # --limit cuts the screen table only
    assert len(CliRunner().invoke(main, ["sql", many, "--format", "json", "--db", str(db_path)]
                                  ).output.splitlines()) == 150
    saved = CliRunner().invoke(main, ["sql", query, "--out", str(tmp_path / "rows.csv"), "--db", str(db_path)])
    assert saved.exit_code == 0 and "Wrote " in saved.output and "rows.csv.provenance.json" in saved.output
    raw = (tmp_path / "rows.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and "Child – M".encode() in raw  # a BOM, so Excel reads the dash
    assert json.loads((tmp_path / "rows.csv.provenance.json").read_text())["query"] == query
    saved = CliRunner().invoke(main, ["sql", query, "--out", str(tmp_path / "rows.xlsx"), "--db", str(db_path)])
    book = openpyxl.load_workbook(tmp_path / "rows.xlsx")
    assert saved.exit_code == 0 and book.sheetnames == ["Rows", "Provenance"]
    assert list(book["Rows"].values)[1][1:] == ("assessment; legal_powers", "Child – M")
    zoned = CliRunner().invoke(main, ["sql", "SELECT TIMESTAMPTZ '2024-04-18 09:30:00+01' AS t", "--out",
                                      str(tmp_path / "zoned.xlsx"), "--db", str(db_path)])
    assert zoned.exit_code == 0, zoned.output  # Excel holds no time zone: the time is given in UTC
    assert list(openpyxl.load_workbook(tmp_path / "zoned.xlsx")["Rows"].values)[1] == (
        datetime.datetime(2024, 4, 18, 8, 30),)
    refused = CliRunner().invoke(main, ["sql", query, "--out", str(tmp_path / "rows.md"), "--db", str(db_path)])
    assert refused.exit_code == 2 and "ending in .csv or .xlsx" in refused.output


def test_another_programs_duckdb_file_is_refused_and_left_as_it_is(tmp_path: Path):
    from click.testing import CliRunner

    from pipeline.cli import main

    other = tmp_path / "finance.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE budgets (year INTEGER, amount DOUBLE)")
    for command in (["status"], ["sql", "SELECT 1"], ["search", "care"]):
        result = CliRunner().invoke(main, [*command, "--db", str(other)])
        assert result.exit_code == 2, command
        assert (f"{other} is a DuckDB database, but not one made by casereview (it holds budgets), so it was left "
                "as it is") in " ".join(result.output.split()), command
    with duckdb.connect(str(other), read_only=True) as con:
        assert con.execute("SELECT table_name FROM information_schema.tables").fetchall() == [("budgets",)]


def test_migrations_are_recorded_once_and_reapplying_changes_nothing(db_path: Path):
    Store(db_path)
    first = query(Store(db_path), "SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
    Store(db_path)
    again = query(Store(db_path), "SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
    assert [(v, n) for v, n, _ in first] == [(1, "core"), (2, "themes"), (3, "views"), (4, "topics"),
                                        (5, "theme_model"), (6, "ocr"), (7, "printed_pages"), (8, "trends_filters"),
                                        (9, "findings_views"), (10, "theme_checks"), (11, "more_finding_headings"),
                                        (12, "document_ocr"), (13, "passage_headings"), (14, "findings_chapters"),
                                        (15, "findings_not_agencies"), (16, "findings_not_named_services"),
                                        (17, "welsh_recommendations"), (18, "findings_analysis_chapters"),
                                        (19, "trends_min_score"), (20, "runs_manifest_path"),
                                        (21, "trends_whole_area")]
    assert again == first


def _database_at_schema(path: Path, schema: int) -> None:
    """A database as an older casereview left it: the first `schema` migrations, with a review read into it."""
    with duckdb.connect(str(path)) as con:
        con.execute(store_module._CREATE_SCHEMA_MIGRATIONS)
        for version, name, sql in store_module._migrations()[:schema]:
            con.execute(sql)
            con.execute(store_module._INSERT_MIGRATION, [version, name, datetime.datetime(2024, 1, 1)])
        con.execute("INSERT INTO reviews (review_id, title) VALUES ('r1', 'Child R')")
        con.execute("INSERT INTO documents (review_id, sha256, status, pages) VALUES ('r1', 'abc', 'ok', 1)")
        con.execute("INSERT INTO pages (review_id, page, chars) VALUES ('r1', 1, 10)")
        con.execute("INSERT INTO passages (passage_id, review_id, seq, text) VALUES ('p1', 'r1', 1, 'seen alone')")


def test_a_database_made_by_any_earlier_schema_with_reviews_in_it_is_upgraded(tmp_path: Path):
    # Migration 006 could not be committed on a database that held pages (DuckDB refuses a second ALTER of a
    # table after one adding a column with a default, in one transaction): such a database was stuck at schema 5.
    latest = len(store_module._migrations())
    for schema in range(1, latest):
        path = tmp_path / f"schema-{schema}.duckdb"
        _database_at_schema(path, schema)
        store = Store(path)
        assert query(store, "SELECT max(version) FROM schema_migrations") == [(latest,)], schema
        assert query(store, "SELECT review_id, page, ocr, ocr_confidence FROM pages") == [("r1", 1, False, None)]
        assert query(store, "SELECT passage_id, text FROM passages") == [("p1", "seen alone")], schema


def test_a_step_of_the_upgrade_that_fails_is_undone_and_named(tmp_path: Path, monkeypatch):
    path = tmp_path / "old.duckdb"
    _database_at_schema(path, 5)
    broken = [(v, n, sql + ";\nSELECT * FROM no_such_table;" if v == 7 else sql)
              for v, n, sql in store_module._migrations()]
    monkeypatch.setattr(store_module, "_migrations", lambda: broken)
    with pytest.raises(StoreError) as failed:
        Store(path)
    message = " ".join(str(failed.value).split())
    assert f"The database {path} could not be brought up to date for this casereview: step 007 (printed pages) " \
           "failed (Catalog Error: Table with name no_such_table does not exist!" in message
    assert "run with a new database file (--db NEW.duckdb)" in message
    with duckdb.connect(str(path), read_only=True) as con:  # step 006 stayed, step 007 left nothing behind
        assert con.execute("SELECT max(version) FROM schema_migrations").fetchone() == (6,)
        assert "printed" not in [c for (c,) in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'pages'").fetchall()]


def test_database_from_a_newer_version_is_refused_with_a_clear_error(db_path: Path):
    Store(db_path)
    with duckdb.connect(str(db_path)) as con:
        con.execute("INSERT INTO schema_migrations VALUES (99, 'future', now()::TIMESTAMP)")
    with pytest.raises(StoreError, match=r"schema version 99, written by a newer casereview"):
        Store(db_path)


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path):
    path = tmp_path / "notes.duckdb"
    path.write_text("this is not a database\n" * 100)
    with pytest.raises(StoreError, match="notes.duckdb is some other kind of file, not a casereview database"):
        Store(path)
    empty = tmp_path / "empty.duckdb"
    empty.write_bytes(b"")
    with pytest.raises(StoreError, match="empty.duckdb is an empty file, not a database"):
        Store(empty)


def test_a_sqlite_file_is_refused_without_duckdb_reaching_for_an_extension(tmp_path: Path):
    # DuckDB opens a SQLite file with its sqlite extension, which it would download when not installed
    import sqlite3

    from click.testing import CliRunner

    from pipeline.cli import main

    path = tmp_path / "other.duckdb"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE t (a INTEGER)")
    before = path.read_bytes()
    for command in (["status"], ["sql", "SELECT 1"], ["search", "care"]):
        result = CliRunner().invoke(main, [*command, "--db", str(path)])
        assert result.exit_code == 2, command
        assert f"{path} is a SQLite database, not a casereview database" in " ".join(result.output.split())
        assert "extension" not in result.output.lower()
    assert path.read_bytes() == before


def test_store_creates_the_parent_folder(tmp_path: Path):
    Store(tmp_path / "a" / "b" / "db.duckdb")
    assert (tmp_path / "a" / "b" / "db.duckdb").is_file()


# --------------------------------------------------------------------------- writing a review


def test_write_review_then_read_every_table_back(store: Store):
    run_id = store.start_run(Path("manifest.csv"), SHA_B)
    result = make_result(
        fetched_at=datetime.datetime(2026, 11, 15, 11, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=1))),
        pages=[PageInfo(1, 1500, False), PageInfo(2, 0, True), PageInfo(3, 900, False)],
        attempts=[attempt(1, 503, "HTTP 503 Service Unavailable"), attempt(2, 200)],
        embeddings={"northmoor-2019-child-d-p1": [0.5, -0.25]},
        embedding_model="minilm",
    )
    store.write_review(run_id, result, seconds=1.5)
    rid = "northmoor-2019-child-d"

    assert query(store, "SELECT * FROM reviews") == [
        (rid, "Child D: a child safeguarding practice review", "Northmoor", "England", "CSPR", 2019,
         datetime.date(2019, 6, 1), "demo/northmoor-2019-child-d.pdf", None, 2)
    ]  # fmt: skip
    (doc,) = query(store, "SELECT * FROM documents")
    assert doc[:10] == (
        rid, SHA_A, "ok", None, 3, [2], 12345, "pdf", PIPELINE_VERSION, datetime.datetime(2026, 11, 15, 10, 30)
    )  # fmt: skip
    assert doc[11] == run_id
    assert query(store, "SELECT page, chars, needs_ocr FROM pages ORDER BY page") == [
        (1, 1500, False), (2, 0, True), (3, 900, False)
    ]  # fmt: skip
    assert query(store, "SELECT passage_id, seq, page_start, section FROM passages ORDER BY seq") == [
        (f"{rid}-p1", 1, 1, "Findings"),
        (f"{rid}-p2", 2, 2, "Findings"),
    ]
    sentences = query(store, "SELECT passage_id, seq, text, char_start, char_end FROM sentences ORDER BY ALL")
    assert sentences[0] == (f"{rid}-p1", 1, "The health visitor saw the baby twice. (sentence 1).", 0, 52)
    assert len(sentences) == 4
    assert query(store, "SELECT * FROM passage_themes") == [(f"{rid}-p2", rid, "neglect", 0.9, "themes-v1")]
    assert query(store, "SELECT passage_id, theme, rank, sentence_seq, score FROM theme_evidence") == [
        (f"{rid}-p2", "neglect", 1, 1, 0.9)
    ]
    assert query(store, "SELECT attempt, status_code, error, attempted_at FROM fetch_attempts ORDER BY attempt") == [
        (1, 503, "HTTP 503 Service Unavailable", datetime.datetime(2026, 11, 15, 10, 29, 59)),
        (2, 200, None, datetime.datetime(2026, 11, 15, 10, 29, 59)),
    ]
    assert query(store, "SELECT * FROM run_reviews") == [(run_id, rid, "processed", None, 1.5)]
    assert store.cached_embeddings([f"{rid}-p1"], "minilm") == {f"{rid}-p1": [0.5, -0.25]}


def test_rewriting_a_review_replaces_its_rows_without_duplicates(store: Store):
    run_id = store.start_run(Path("manifest.csv"), SHA_B)
    other = make_entry("other-2020-child-e", line=3)
    store.write_review(run_id, make_result(other), seconds=1)
    store.write_review(run_id, make_result(texts=("One.", "Two.", "Three.")), seconds=1)
    before_other = query(store, "SELECT * FROM passages WHERE review_id = 'other-2020-child-e' ORDER BY seq")

    changed = make_result(
        make_entry(title="Child D (revised)"),
        sha256=SHA_B,
        texts=("Only one passage now.",),
        tags=((1, "domestic abuse", 0.7),),
    )
    store.write_review(run_id, changed, seconds=1)

    rid = "northmoor-2019-child-d"
    assert query(store, "SELECT title FROM reviews WHERE review_id = ?", [rid]) == [("Child D (revised)",)]
    assert count(store, "reviews") == 2
    assert query(store, "SELECT sha256 FROM documents WHERE review_id = ?", [rid]) == [(SHA_B,)]
    assert query(store, "SELECT text FROM passages WHERE review_id = ?", [rid]) == [
        ("Only one passage now. (sentence 1). Only one passage now. (sentence 2).",)
    ]
    assert count(store, "pages", rid) == 1
    assert count(store, "sentences", rid) == 2
    assert query(store, "SELECT theme FROM passage_themes WHERE review_id = ?", [rid]) == [("domestic abuse",)]
    assert query(store, "SELECT theme FROM review_themes WHERE review_id = ?", [rid]) == [("domestic abuse",)]
    assert query(store, "SELECT count(*) FROM theme_evidence WHERE passage_id LIKE 'northmoor%'") == [(1,)]
    assert query(store, "SELECT count(*) FROM run_reviews WHERE review_id = ?", [rid]) == [(1,)]
    assert query(store, "SELECT * FROM passages WHERE review_id = 'other-2020-child-e' ORDER BY seq") == before_other


def test_is_unchanged_needs_same_sha_same_pipeline_version_and_no_failure(
    store: Store, monkeypatch: pytest.MonkeyPatch
):
    run_id = store.start_run(Path("manifest.csv"), SHA_B)
    rid = "northmoor-2019-child-d"
    assert not store.is_unchanged(rid, SHA_A)

    store.write_review(run_id, make_result(sha256=SHA_A), seconds=1)
    assert store.is_unchanged(rid, SHA_A)
    assert not store.is_unchanged(rid, SHA_B)
    assert not store.is_unchanged("another-review", SHA_A)

    monkeypatch.setattr(store_module, "PIPELINE_VERSION", PIPELINE_VERSION + ".next")
    assert not store.is_unchanged(rid, SHA_A)
    monkeypatch.undo()

    store.write_review(run_id, failed_result(error="extraction crashed", sha256=SHA_A), seconds=1)
    assert not store.is_unchanged(rid, SHA_A)


def test_unchanged_documents_answers_is_unchanged_for_every_review_at_once(
    store: Store, monkeypatch: pytest.MonkeyPatch
):
    run_id = store.start_run(Path("manifest.csv"), SHA_B)
    store.write_review(run_id, make_result(make_entry("a"), sha256=SHA_A, theme_model="themes-v1@aaaa"), seconds=1)
    store.write_review(run_id, make_result(make_entry("b"), sha256=SHA_B, theme_model="themes-v1@aaaa"), seconds=1)
    store.write_review(run_id, failed_result(make_entry("c"), error="HTTP 404 Not Found"), seconds=1)
    store.write_review(run_id, make_result(make_entry("d"), sha256=SHA_A, theme_model=None), seconds=1)

    assert store.unchanged_documents("themes-v1@aaaa") == {"a": SHA_A, "b": SHA_B}
    assert store.unchanged_documents(None) == {"d": SHA_A}
    for rid, sha in store.unchanged_documents("themes-v1@aaaa").items():
        assert store.is_unchanged(rid, sha, "themes-v1@aaaa")
    monkeypatch.setattr(store_module, "PIPELINE_VERSION", PIPELINE_VERSION + ".next")
    assert store.unchanged_documents("themes-v1@aaaa") == {}


def test_skips_recorded_together_refresh_manifest_details_and_count_in_the_run(store: Store):
    first = store.start_run(Path("manifest.csv"), SHA_B)
    for rid in ("a", "b", "c"):
        store.write_review(first, make_result(make_entry(rid)), seconds=1)
    store.finish_run(first)

    run_id = store.start_run(Path("manifest.csv"), SHA_A)
    renamed = make_entry("a", title="Child A: renamed in the manifest", published=None, line=7)
    store.record_skips(run_id, [(renamed, "unchanged since the last run"), (make_entry("b"), "unchanged")])
    store.record_skips(run_id, [])
    store.record_skip(run_id, make_entry("c", notes="a note added"), "unchanged")

    assert query(store, "SELECT review_id, title, published, manifest_line, notes FROM reviews ORDER BY 1") == [
        ("a", "Child A: renamed in the manifest", None, 7, None),
        ("b", "Child D: a child safeguarding practice review", datetime.date(2019, 6, 1), 2, None),
        ("c", "Child D: a child safeguarding practice review", datetime.date(2019, 6, 1), 2, "a note added"),
    ]
    assert query(store, "SELECT review_id, outcome, message FROM run_reviews WHERE run_id = ? ORDER BY 1",
                 [run_id]) == [("a", "skipped", "unchanged since the last run; its details were updated from the "
                                               "manifest: title “Child D: a child safeguarding practice review” → "
                                               "“Child A: renamed in the manifest”; published 2019-06-01 → (none)"),
                               ("b", "skipped", "unchanged"), ("c", "skipped", "unchanged")]  # fmt: skip
    assert store.finish_run(run_id)["reviews_skipped"] == 3


def test_a_new_theme_model_makes_an_unchanged_document_count_as_changed(store: Store):
    run_id = store.start_run(Path("manifest.csv"), SHA_B)
    rid = "northmoor-2019-child-d"
    store.write_review(run_id, make_result(sha256=SHA_A, theme_model="themes-v1@aaaa"), seconds=1)
    assert store.is_unchanged(rid, SHA_A, "themes-v1@aaaa")
    assert not store.is_unchanged(rid, SHA_A, "themes-v1@bbbb")  # retrained model: tag again
    assert not store.is_unchanged(rid, SHA_A, None)  # a run without themes: the old tags must go
    assert query(store, "SELECT theme_model FROM documents WHERE review_id = ?", [rid]) == [("themes-v1@aaaa",)]


def test_a_document_needing_ocr_counts_as_unchanged(store: Store):
    run_id = store.start_run(Path("manifest.csv"), SHA_B)
    scan = make_result(status="needs_ocr", error="no text layer", texts=(), tags=(),
                       pages=[PageInfo(1, 0, True), PageInfo(2, 0, True)])  # fmt: skip
    store.write_review(run_id, scan, seconds=1)
    assert store.is_unchanged("northmoor-2019-child-d", SHA_A)
    assert query(store, "SELECT status, error, pages, needs_ocr_pages FROM documents") == [
        ("needs_ocr", "no text layer", 2, [1, 2])
    ]
    assert query(store, "SELECT outcome, message FROM run_reviews") == [("needs_ocr", "no text layer")]


def test_pages_left_unread_with_ocr_off_are_read_once_ocr_is_on(store: Store):
    run_id = store.start_run(Path("manifest.csv"), SHA_B)
    unread = dict(texts=("Typed pages.",), tags=(), pages=[PageInfo(1, 40, False), PageInfo(2, 0, True)])
    store.write_review(run_id, make_result(make_entry("read-with-ocr-off"), ocr_on=False, **unread), seconds=1)
    store.write_review(run_id, make_result(make_entry("read-before-it-was-recorded"), **unread), seconds=1)
    store.write_review(run_id, make_result(make_entry("ocr-found-nothing"), ocr_on=True, **unread), seconds=1)
    store.write_review(run_id, make_result(make_entry("all-typed"), ocr_on=False), seconds=1)
    garbled = [PageInfo(1, 40, False, garbled_lines=3)]  # a heading font's lines left out
    store.write_review(run_id, make_result(make_entry("garbled-lines"), ocr_on=False, texts=("Typed.",), tags=(),
                                           pages=garbled), seconds=1)

    everything = {"read-with-ocr-off", "read-before-it-was-recorded", "ocr-found-nothing", "all-typed",
                  "garbled-lines"}
    assert set(store.unchanged_documents(ocr_on=False)) == everything  # OCR still off: nothing to gain
    assert set(store.unchanged_documents(ocr_on=True)) == {"ocr-found-nothing", "all-typed"}
    assert not store.is_unchanged("read-with-ocr-off", SHA_A, ocr_on=True)
    assert store.is_unchanged("read-with-ocr-off", SHA_A, ocr_on=False)
    assert store.is_unchanged("ocr-found-nothing", SHA_A, ocr_on=True)
    assert query(store, "SELECT review_id, ocr_on, ocr_left FROM documents ORDER BY 1") == [
        ("all-typed", False, False), ("garbled-lines", False, True), ("ocr-found-nothing", True, True),
        ("read-before-it-was-recorded", None, True), ("read-with-ocr-off", False, True)]


def test_a_write_failing_on_a_duplicate_passage_leaves_the_previous_rows(store: Store):
    run_id = store.start_run(Path("manifest.csv"), SHA_B)
    store.write_review(run_id, make_result(), seconds=1)
    run_2 = store.start_run(Path("manifest.csv"), SHA_B)
    before = snapshot(store)

    bad = make_result(sha256=SHA_B, texts=("Same.", "Different."))
    bad.passages[1] = dataclasses.replace(bad.passages[1], passage_id=bad.passages[0].passage_id)
    bad.themes = []
    with pytest.raises(duckdb.ConstraintException):
        store.write_review(run_2, bad, seconds=1)

    assert snapshot(store) == before
    assert store.is_unchanged("northmoor-2019-child-d", SHA_A)


def test_a_write_raising_midway_writes_nothing_of_a_new_review(store: Store, monkeypatch: pytest.MonkeyPatch):
    run_id = store.start_run(Path("manifest.csv"), SHA_B)
    store.write_review(run_id, make_result(make_entry("kept-review")), seconds=1)
    before = snapshot(store)
    real_bulk_insert = store_module._bulk_insert

    def explode_on_evidence(con, sql, rows):
        if sql == store_module._INSERT_THEME_EVIDENCE:
            raise RuntimeError("disk full")
        real_bulk_insert(con, sql, rows)

    monkeypatch.setattr(store_module, "_bulk_insert", explode_on_evidence)
    with pytest.raises(RuntimeError, match="disk full"):
        store.write_review(run_id, make_result(embeddings={"x": [1.0]}, embedding_model="m"), seconds=1)
    with pytest.raises(RuntimeError, match="disk full"):
        store.write_review(run_id, make_result(make_entry("kept-review"), sha256=SHA_B), seconds=1)

    assert snapshot(store) == before
    assert count(store, "reviews", "northmoor-2019-child-d") == 0


def test_results_that_would_store_inconsistent_rows_are_rejected_before_writing(store: Store):
    run_id = store.start_run(Path("manifest.csv"), SHA_B)
    orphan_tag = make_result()
    orphan_tag.themes.append(ThemeTag("no-such-passage", "neglect", 0.5, "themes-v1"))
    with pytest.raises(ValueError, match="unknown passage no-such-passage"):
        store.write_review(run_id, orphan_tag, seconds=1)
    with pytest.raises(ValueError, match="status must be one of"):
        store.write_review(run_id, make_result(status="done"), seconds=1)
    with pytest.raises(ValueError, match="belongs to"):
        store.write_review(run_id, make_result(make_entry("elsewhere"), passages=make_result().passages), seconds=1)
    assert count(store, "reviews") == 0


# --------------------------------------------------------------------------- failures


def test_a_failed_review_records_its_error(store: Store):
    run_id = store.start_run(Path("manifest.csv"), SHA_B)
    result = failed_result(attempts=[attempt(1, 404, "HTTP 404 Not Found")])
    store.write_review(run_id, result, seconds=0.5)

    assert query(store, "SELECT status, error, sha256, pages FROM documents") == [
        ("failed", "HTTP 404 Not Found", None, None)
    ]
    assert count(store, "passages") == 0
    assert query(store, "SELECT outcome, message FROM run_reviews") == [("failed", "HTTP 404 Not Found")]
    assert query(store, "SELECT status_code, error FROM fetch_attempts") == [(404, "HTTP 404 Not Found")]
    (failure,) = store.failures()
    assert failure["review_id"] == "northmoor-2019-child-d"
    assert failure["status"] == "failed"
    assert failure["error"] == "HTTP 404 Not Found"
    assert failure["title"] == "Child D: a child safeguarding practice review"
    assert failure["keeps_earlier_version"] is False


def test_a_failed_result_without_a_message_still_says_it_failed(store: Store):
    run_id = store.start_run(Path("manifest.csv"), SHA_B)
    store.write_review(run_id, failed_result(error="  "), seconds=0.5)
    assert query(store, "SELECT error FROM documents") == [("failed without an error message",)]


def test_a_failed_new_version_keeps_the_earlier_text(store: Store):
    run_1 = store.start_run(Path("manifest.csv"), SHA_B)
    store.write_review(run_1, make_result(sha256=SHA_A), seconds=1)
    passages_before = query(store, "SELECT * FROM passages ORDER BY seq")
    themes_before = query(store, "SELECT * FROM review_themes")

    run_2 = store.start_run(Path("manifest.csv"), SHA_B)
    store.write_review(run_2, failed_result(error="the PDF is encrypted", sha256=SHA_B), seconds=1)

    assert query(store, "SELECT * FROM passages ORDER BY seq") == passages_before
    assert query(store, "SELECT * FROM review_themes") == themes_before
    assert query(store, "SELECT status, error, sha256, pages, run_id FROM documents") == [
        ("failed", "the PDF is encrypted", SHA_A, 2, run_2)
    ]
    assert store.failures()[0]["keeps_earlier_version"] is True
    assert not store.is_unchanged("northmoor-2019-child-d", SHA_A)

    run_3 = store.start_run(Path("manifest.csv"), SHA_B)
    store.write_review(run_3, failed_result(error="still encrypted", sha256=SHA_B), seconds=1)
    assert query(store, "SELECT * FROM passages ORDER BY seq") == passages_before
    assert query(store, "SELECT status, error, sha256 FROM documents") == [("failed", "still encrypted", SHA_A)]

    store.write_review(run_3, make_result(sha256=SHA_B, texts=("Fixed.",), tags=()), seconds=1)
    assert query(store, "SELECT status, error, sha256, pages FROM documents") == [("ok", None, SHA_B, 1)]
    assert count(store, "passages") == 1
    assert count(store, "review_themes") == 0


def test_a_new_version_needing_ocr_keeps_the_earlier_text_as_a_failed_one_does(store: Store):
    # a review's PDF replaced by a scan, read with OCR off: its text was replaced by nothing
    run_1 = store.start_run(Path("manifest.csv"), SHA_B)
    store.write_review(run_1, make_result(sha256=SHA_A), seconds=1)
    passages_before = query(store, "SELECT * FROM passages ORDER BY seq")
    run_2 = store.start_run(Path("manifest.csv"), SHA_B)
    scan = make_result(status="needs_ocr", error="no text layer: OCR is off", texts=(), tags=(), sha256=SHA_B,
                       pages=[PageInfo(1, 0, True)])
    store.write_review(run_2, scan, seconds=1)
    assert query(store, "SELECT * FROM passages ORDER BY seq") == passages_before
    assert query(store, "SELECT status, error, sha256, pages FROM documents") == [
        ("failed", "no text layer: OCR is off", SHA_A, 2)]
    assert query(store, "SELECT outcome FROM run_reviews WHERE run_id = ?", [run_2]) == [("needs_ocr",)]
    assert store.failures()[0]["keeps_earlier_version"] is True


def test_the_same_document_under_two_reviews_names_whose_manifest_lines_are_meant(store: Store, db_path: Path):
    """Reviews listed in different manifests have lines of different files: each line is named with its file."""
    from pipeline.cli import format_status

    for manifest, review_id, line in (("good.csv", "northmoor-2019-child-d", 3), ("other.csv", "dup-2019-child-d", 4)):
        run_id = store.start_run(Path(manifest), SHA_B)
        store.write_review(run_id, make_result(make_entry(review_id, line=line), sha256=SHA_A), seconds=1)
        store.finish_run(run_id)
    said = format_status(store.summary(), db_path)
    assert "- northmoor-2019-child-d (line 3 of good.csv), dup-2019-child-d (line 4 of other.csv)" in said, said
    run_id = store.start_run(Path("other.csv"), SHA_B)  # both listed in one manifest: its lines, as before
    store.write_review(run_id, make_result(make_entry("northmoor-2019-child-d", line=2), sha256=SHA_A), seconds=1)
    said = format_status(store.summary(), db_path)
    assert "- northmoor-2019-child-d (manifest line 2), dup-2019-child-d (manifest line 4)" in said, said


def test_a_review_kept_from_its_earlier_reading_counts_as_read_wherever_it_is_found(store: Store, db_path: Path):
    """Its passages are searched, so it is among the reviews read in the counts beside them ("in 1 of the 1
    reviews read", not "1 of 0"), and the lists say its text is the earlier reading's."""
    from pipeline.cli import format_status, format_summary
    from pipeline.outputs.findings import stated_findings
    from pipeline.outputs.reviewlist import format_reviews, list_reviews
    from pipeline.search import rebuild_search, search_with_forms

    for result in (make_result(sha256=SHA_A), failed_result(error="the PDF is encrypted", sha256=SHA_B)):
        run_id = store.start_run(Path("manifest.csv"), SHA_B)
        store.write_review(run_id, result, seconds=1)
        summary = store.finish_run(run_id)
        assert rebuild_search(store)
    # the run that could not read it says so too, where people read first
    assert ("- northmoor-2019-child-d: the PDF is encrypted (the text of its earlier reading is kept, and is what "
            "is searched)") in format_summary(summary, db_path)
    found = search_with_forms(db_path, "health visitor", by_review=True)
    assert [review.review_id for review in found.by_review] == ["northmoor-2019-child-d"]
    assert found.reviews_read == 1 and found.by_year == ((2019, 1, 1),)
    assert stated_findings(db_path)[1]["reviews_read"] == 1
    kept = "could not be read again (the text of its earlier reading is kept, and is what is searched)"
    assert kept in format_reviews(*list_reviews(db_path), {})
    assert ("northmoor-2019-child-d [failed]: the PDF is encrypted (the text of its earlier reading is kept"
            in format_status(store.summary(), db_path))


# --------------------------------------------------------------------------- themes roll-up


def test_review_themes_roll_up_counts_best_score_and_top_evidence_with_pages(store: Store):
    rid = "rollup-review"
    entry = make_entry(rid)
    passages = [make_passage(rid, seq, f"Passage {seq}.", page=page) for seq, page in ((1, 1), (2, 3), (3, 5))]

    def tag(seq: int, theme: str, score: float, evidence: tuple[tuple[int, float], ...]) -> ThemeTag:
        quotes = tuple(Evidence(s, f"p{seq} s{s}", e) for s, e in evidence)
        return ThemeTag(f"{rid}-p{seq}", theme, score, "themes-v1", quotes)

    themes = [
        tag(1, "neglect", 0.9, ((1, 0.8), (2, 0.4))),
        tag(2, "neglect", 0.7, ((1, 0.95),)),
        tag(3, "neglect", 0.6, ((1, 0.5), (2, 0.85))),
        tag(2, "domestic abuse", 0.55, ()),
    ]
    result = make_result(entry, passages=passages, themes=themes)
    run_id = store.start_run(Path("manifest.csv"), SHA_B)
    store.write_review(run_id, result, seconds=1)

    rows = query(store, "SELECT * FROM review_themes ORDER BY theme")
    assert rows == [
        (rid, "domestic abuse", "themes-v1", 1, 0.55, []),
        (
            rid,
            "neglect",
            "themes-v1",
            3,
            0.9,
            [
                {"text": "p2 s1", "page": 3, "passage_id": f"{rid}-p2", "score": 0.95},
                {"text": "p3 s2", "page": 5, "passage_id": f"{rid}-p3", "score": 0.85},
                {"text": "p1 s1", "page": 1, "passage_id": f"{rid}-p1", "score": 0.8},
            ],
        ),
    ]
    assert query(store, "SELECT rank, sentence_seq FROM theme_evidence WHERE passage_id = ? ORDER BY rank",
                 [f"{rid}-p3"]) == [(1, 1), (2, 2)]  # fmt: skip


# --------------------------------------------------------------------------- embeddings


def test_embeddings_are_cached_per_model_and_never_overwritten(store: Store):
    run_id = store.start_run(Path("manifest.csv"), SHA_B)
    rid = "northmoor-2019-child-d"
    first = make_result(embeddings={f"{rid}-p1": [0.1, 0.2], f"{rid}-p2": [0.3, 0.4]}, embedding_model="minilm")
    store.write_review(run_id, first, seconds=1)
    again = make_result(embeddings={f"{rid}-p1": [9.0, 9.0]}, embedding_model="minilm")
    store.write_review(run_id, again, seconds=1)

    cached = store.cached_embeddings([f"{rid}-p1", f"{rid}-p2", "unknown"], "minilm")
    assert set(cached) == {f"{rid}-p1", f"{rid}-p2"}
    assert cached[f"{rid}-p1"] == pytest.approx([0.1, 0.2])
    assert store.cached_embeddings([f"{rid}-p1"], "another-model") == {}
    assert store.cached_embeddings([], "minilm") == {}


def test_embeddings_of_any_length_and_numpy_vectors_are_stored_exactly(store: Store):
    vectors = {
        "northmoor-2019-child-d-p1": np.array([0.5, -1.25, 3.0], dtype=np.float32),
        "northmoor-2019-child-d-p2": [0.125] * 384,
    }
    run_id = store.start_run(Path("manifest.csv"), SHA_B)
    store.write_review(run_id, make_result(embeddings=vectors, embedding_model="minilm"), seconds=1)
    cached = store.cached_embeddings(list(vectors), "minilm")
    assert cached == {"northmoor-2019-child-d-p1": [0.5, -1.25, 3.0], "northmoor-2019-child-d-p2": [0.125] * 384}


def test_embeddings_without_a_model_name_are_rejected(store: Store):
    run_id = store.start_run(Path("manifest.csv"), SHA_B)
    with pytest.raises(ValueError, match="embedding_model"):
        store.write_review(run_id, make_result(embeddings={"x": [1.0]}), seconds=1)


# --------------------------------------------------------------------------- full-text search


def test_rebuilt_full_text_index_finds_the_right_passage(store: Store):
    run_id = store.start_run(Path("manifest.csv"), SHA_B)
    texts = (
        "The health visitor visited the family at home.",
        "Domestic abuse by the father was reported to the police.",
        "School attendance fell during the spring term.",
    )
    store.write_review(run_id, make_result(texts=texts, tags=()), seconds=1)
    assert store.rebuild_fts() is True

    sql = (
        "SELECT passage_id FROM (SELECT passage_id, fts_main_passages.match_bm25(passage_id, ?) AS score "
        "FROM passages) WHERE score IS NOT NULL ORDER BY score DESC"
    )
    assert query(store, sql, ["domestic abuse"]) == [("northmoor-2019-child-d-p2",)]
    assert query(store, sql, ["visits"]) == [("northmoor-2019-child-d-p1",)]  # porter stemming

    store.write_review(run_id, make_result(texts=texts + ("Neglect of the baby's needs.",), tags=()), seconds=1)
    store.rebuild_fts()
    assert query(store, sql, ["neglect"]) == [("northmoor-2019-child-d-p4",)]


def test_rebuild_without_the_extension_warns_and_does_nothing(
    store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    monkeypatch.setattr(store_module, "_load_fts", lambda con: False)
    assert store.rebuild_fts() is False
    assert "Full-text search is unavailable" in caplog.text


# --------------------------------------------------------------------------- runs


def test_finish_run_counts_what_happened_in_the_run(store: Store):
    old_run = store.start_run(Path("manifest.csv"), SHA_B)
    store.write_review(old_run, make_result(make_entry("unchanged-review")), seconds=1)

    run_id = store.start_run(Path("corpus/manifest.csv"), SHA_A)
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{6}", run_id)
    assert query(store, "SELECT status, manifest, manifest_sha256, pipeline_version FROM runs WHERE run_id = ?",
                 [run_id]) == [("running", "corpus/manifest.csv", SHA_A, PIPELINE_VERSION)]  # fmt: skip
    store.write_review(run_id, make_result(make_entry("a")), seconds=1)
    store.write_review(run_id, make_result(make_entry("b"), texts=("x", "y", "z")), seconds=1)
    store.record_skip(run_id, make_entry("unchanged-review"), "unchanged since the last run")
    store.write_review(run_id, failed_result(make_entry("c"), error="HTTP 404 Not Found"), seconds=1)
    scan = make_result(make_entry("d"), status="needs_ocr", error="scanned", texts=(), tags=(),
                       pages=[PageInfo(1, 0, True)])  # fmt: skip
    store.write_review(run_id, scan, seconds=1)

    summary = store.finish_run(run_id)

    assert summary["run_id"] == run_id
    assert summary["status"] == "finished"
    assert (summary["reviews_processed"], summary["reviews_skipped"], summary["reviews_failed"]) == (2, 1, 2)
    assert summary["reviews_needs_ocr"] == 1
    assert (summary["pages"], summary["passages"]) == (2 + 3 + 1, 2 + 3)
    assert summary["problems"] == [
        {"review_id": "c", "outcome": "failed", "message": "HTTP 404 Not Found", "keeps_earlier_version": False},
        {"review_id": "d", "outcome": "needs_ocr", "message": "scanned", "keeps_earlier_version": False},
    ]
    assert summary["finished_at"] >= summary["started_at"]
    stored = query(store, "SELECT status, reviews_processed, passages FROM runs WHERE run_id = ?", [run_id])
    assert stored == [("finished", 2, 5)]


def test_an_interrupted_run_is_marked_so(store: Store):
    run_id = store.start_run(Path("manifest.csv"), SHA_B)
    assert store.finish_run(run_id, status="interrupted")["status"] == "interrupted"
    with pytest.raises(ValueError, match="run status"):
        store.finish_run(run_id, status="done")
    with pytest.raises(StoreError, match="No run"):
        store.finish_run("no-such-run")


def test_a_killed_run_is_marked_interrupted_by_the_next_with_what_its_log_holds_and_no_end_time(store: Store):
    # it was given the next run's start as its end, and no counts, as if it had done nothing
    killed = store.start_run(Path("manifest.csv"), SHA_B)
    store.write_review(killed, make_result(), seconds=1)
    store.record_skip(killed, make_entry(review_id="other"), "unchanged")
    store.start_run(Path("manifest.csv"), SHA_B)
    assert query(store, "SELECT status, finished_at, reviews_processed, reviews_skipped, reviews_failed, pages, "
                        "passages FROM runs WHERE run_id = ?", [killed]) == [("interrupted", None, 1, 1, 0, 2, 2)]


def test_record_skip_refreshes_the_manifest_details(store: Store):
    run_1 = store.start_run(Path("manifest.csv"), SHA_B)
    store.write_review(run_1, make_result(), seconds=1)
    run_2 = store.start_run(Path("manifest.csv"), SHA_B)
    store.record_skip(run_2, make_entry(title="Renamed", notes="checked", line=7), "unchanged")

    assert query(store, "SELECT title, notes, manifest_line FROM reviews") == [("Renamed", "checked", 7)]
    # what the figures count by is said in the run's log (notes and the line are not)
    said = ("unchanged; its details were updated from the manifest: title “Child D: a child safeguarding practice "
            "review” → “Renamed”")
    assert query(store, "SELECT outcome, message, seconds FROM run_reviews WHERE run_id = ?", [run_2]) == [
        ("skipped", said, None)]
    run_3 = store.start_run(Path("manifest.csv"), SHA_B)
    store.record_skip(run_3, make_entry(title="Renamed", notes="again", line=8), "unchanged")
    assert query(store, "SELECT message FROM run_reviews WHERE run_id = ?", [run_3]) == [("unchanged",)]
    assert store.finish_run(run_2)["details_updated"] == [{"review_id": "northmoor-2019-child-d", "message": said}]
    assert count(store, "passages") == 2


def test_summary_reports_counts_failures_and_the_last_run(store: Store):
    run_id = store.start_run(Path("manifest.csv"), SHA_B)
    store.write_review(run_id, make_result(make_entry("good")), seconds=1)
    store.write_review(run_id, failed_result(make_entry("bad"), error="not a PDF"), seconds=1)
    store.finish_run(run_id)

    summary = store.summary()

    assert summary["reviews"] == 2
    assert summary["documents"] == {"ok": 1, "needs_ocr": 0, "failed": 1}
    assert (summary["pages"], summary["passages"], summary["sentences"], summary["passage_themes"]) == (2, 2, 4, 1)
    assert [(f["review_id"], f["error"]) for f in summary["failures"]] == [("bad", "not a PDF")]
    assert summary["last_run"]["run_id"] == run_id
    assert summary["last_run"]["status"] == "finished"


# --------------------------------------------------------------------------- concurrency and speed

HOLD_DB = textwrap.dedent(
    """
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])
    print("ready", flush=True)
    time.sleep(float(sys.argv[2]))
    con.close()
    """
)


def test_another_process_can_read_between_writes(store: Store, db_path: Path):
    reader = (
        "import sys, duckdb; con = duckdb.connect(sys.argv[1], read_only=True); "
        "print(con.execute('SELECT count(*) FROM passages').fetchone()[0])"
    )
    run_id = store.start_run(Path("manifest.csv"), SHA_B)
    for n, texts in enumerate((("One.",), ("One.", "Two.", "Three.")), start=1):
        store.write_review(run_id, make_result(texts=texts, tags=()), seconds=1)
        out = subprocess.run([sys.executable, "-c", reader, str(db_path)], capture_output=True, text=True, check=True)
        assert out.stdout.strip() == str(len(texts)), f"write {n}"


def test_an_up_to_date_database_opens_while_another_program_reads_it(store: Store, db_path: Path):
    run_id = store.start_run(Path("manifest.csv"), SHA_B)
    store.write_review(run_id, make_result(), seconds=1)
    reader = HOLD_DB.replace("duckdb.connect(sys.argv[1])", "duckdb.connect(sys.argv[1], read_only=True)")
    holder = subprocess.Popen([sys.executable, "-c", reader, str(db_path), "5"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        assert Store(db_path, lock_timeout=0.3).summary()["passages"] == 2
    finally:
        holder.kill()
        holder.wait(timeout=30)


def test_a_write_waits_for_another_program_to_let_go(store: Store, db_path: Path):
    holder = subprocess.Popen([sys.executable, "-c", HOLD_DB, str(db_path), "1.0"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        started = time.perf_counter()
        run_id = store.start_run(Path("manifest.csv"), SHA_B)
        assert time.perf_counter() - started > 0.3
        assert query(store, "SELECT count(*) FROM runs WHERE run_id = ?", [run_id]) == [(1,)]
    finally:
        holder.wait(timeout=30)


def test_a_database_held_too_long_gives_a_clear_error(db_path: Path):
    Store(db_path)
    impatient = Store(db_path, lock_timeout=0.3)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_DB, str(db_path), "5"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreError, match="in use by another program"):
            impatient.start_run(Path("manifest.csv"), SHA_B)
    finally:
        holder.kill()
        holder.wait(timeout=30)


def test_writes_and_reads_from_a_thread_pool(store: Store):
    run_id = store.start_run(Path("manifest.csv"), SHA_B)

    def work(n: int) -> bool:
        entry = make_entry(f"review-{n}", line=n + 2)
        store.write_review(run_id, make_result(entry, texts=tuple(f"Text {n}.{i}" for i in range(20))), seconds=1)
        return store.is_unchanged(entry.review_id, SHA_A)

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert all(pool.map(work, range(12)))
    assert count(store, "reviews") == 12
    assert count(store, "passages") == 12 * 20
    assert store.finish_run(run_id)["reviews_processed"] == 12


def test_a_long_review_is_written_quickly(store: Store):
    rid = "long-review"
    passages = [make_passage(rid, seq, f"Passage number {seq} about practice.", page=seq // 4 + 1, sentences=5)
                for seq in range(1, 2001)]  # fmt: skip
    themes = [
        ThemeTag(p.passage_id, theme, 0.8, "themes-v1", (Evidence(1, p.sentences[0].text, 0.7),))
        for p in passages[::4]
        for theme in ("neglect", "multi-agency working")
    ]
    embeddings = {p.passage_id: [0.01 * i for i in range(384)] for p in passages}
    result = make_result(make_entry(rid), passages=passages, themes=themes, embeddings=embeddings,
                         embedding_model="minilm", pages=[PageInfo(n, 3000, False) for n in range(1, 502)])  # fmt: skip
    run_id = store.start_run(Path("manifest.csv"), SHA_B)

    started = time.perf_counter()
    store.write_review(run_id, result, seconds=1)
    elapsed = time.perf_counter() - started

    assert count(store, "passages") == 2000
    assert count(store, "sentences") == 10000
    assert count(store, "passage_embeddings") == 2000
    assert query(store, "SELECT theme, passages_tagged FROM review_themes ORDER BY theme") == [
        ("multi-agency working", 500), ("neglect", 500)
    ]  # fmt: skip
    assert elapsed < 5, f"writing 2,000 passages took {elapsed:.2f} s"
