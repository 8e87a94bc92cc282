"""Write everything the pipeline learns about a review into DuckDB, and read summaries back.

The database is a public interface: analysts query it with SQL, so its tables are created only by the
versioned migration files in ``pipeline/migrations`` and documented in ``docs/schema.md``. All SQL of the
pipeline lives here and in those files.

Each review is written in one transaction (``Store.write_review``): a crash or an error part-way leaves the
previously stored rows of that review untouched. Connections are opened per operation and closed straight
after, so other programs (a DuckDB shell, ``casereview status``) can open the file between writes; opening
waits a while for a lock held by another program. All timestamps are stored in UTC. This module does not
import Prefect.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from pipeline.errors import CaseReviewError
from pipeline.fetch import FetchAttempt
from pipeline.manifest import ManifestEntry
from pipeline.records import PageInfo, Passage, ThemeTag
from pipeline.settings import NO_DOWNLOADS, PIPELINE_VERSION, not_duckdb_message

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
DOCUMENT_STATUSES: tuple[str, ...] = ("ok", "needs_ocr", "failed")
RUN_END_STATUSES: tuple[str, ...] = ("finished", "interrupted")
# How long opening the file waits for another program (a DuckDB shell, a second run) to let go of it.
DEFAULT_LOCK_TIMEOUT_S = 30.0
TOP_EVIDENCE = 3
_MIGRATION_NAME_RE = re.compile(r"^(\d+)_(\w+)\.sql$")
_OUTCOME_BY_STATUS = {"ok": "processed", "needs_ocr": "needs_ocr", "failed": "failed"}
_NO_ERROR_TEXT = "failed without an error message"


class StoreError(CaseReviewError):
    """The database cannot be opened or used (locked, not a DuckDB file, from a newer casereview)."""


@dataclass
class ReviewResult:
    """Everything the pipeline learnt about one review in one run; ``Store.write_review`` writes it at once.

    Attributes
    ----------
    entry : ManifestEntry
        The manifest row.
    status : str
        'ok' (text extracted), 'needs_ocr' (no text layer) or 'failed' (``error`` says why).
    error : str or None
        What went wrong, for a failed review.
    sha256, size_bytes, content_kind, fetched_at
        Facts about the fetched document (None when fetching failed).
    pages, passages, themes : list
        Extraction, segmentation and classification output; ignored for a failed review.
    attempts : list of FetchAttempt
        Every fetch attempt made in this run.
    embeddings : dict or None
        Passage id -> vector, computed with ``embedding_model``; stored in the embedding cache.
    theme_model : str or None
        Version of the theme model that tagged the passages (None when the run had no theme model).
    ocr_on : bool or None
        Whether OCR was on when the document was read (None: not known).
    embedding_model : str or None
        Name (or path) of the encoder the embeddings came from.
    """

    entry: ManifestEntry
    status: str
    error: str | None = None
    sha256: str | None = None
    size_bytes: int | None = None
    content_kind: str | None = None
    fetched_at: datetime.datetime | None = None
    pages: list[PageInfo] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    themes: list[ThemeTag] = field(default_factory=list)
    attempts: list[FetchAttempt] = field(default_factory=list)
    embeddings: dict[str, list[float]] | None = None
    embedding_model: str | None = None
    theme_model: str | None = None
    ocr_on: bool | None = None


# --------------------------------------------------------------------------- SQL

_CREATE_SCHEMA_MIGRATIONS = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL
)"""
_HAS_SCHEMA_MIGRATIONS = """
SELECT count(*) > 0 FROM information_schema.tables
WHERE table_schema = 'main' AND table_name = 'schema_migrations'"""
_SELECT_APPLIED = "SELECT version FROM schema_migrations ORDER BY version"
_INSERT_MIGRATION = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"

_REVIEW_COLUMNS = "review_id, title, area, nation, review_type, year, published, source, notes, manifest_line"
_REVIEW_UPDATE = """
ON CONFLICT (review_id) DO UPDATE SET
    title = excluded.title, area = excluded.area, nation = excluded.nation,
    review_type = excluded.review_type, year = excluded.year, published = excluded.published,
    source = excluded.source, notes = excluded.notes, manifest_line = excluded.manifest_line"""
_UPSERT_REVIEW = f"INSERT INTO reviews ({_REVIEW_COLUMNS})\nVALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?){_REVIEW_UPDATE}"

# The same for many reviews at once (a batch of skipped reviews; the manifest's review ids are unique).
_UPSERT_REVIEWS = f"""
INSERT INTO reviews ({_REVIEW_COLUMNS})
SELECT unnest($1::VARCHAR[]), unnest($2::VARCHAR[]), unnest($3::VARCHAR[]), unnest($4::VARCHAR[]),
       unnest($5::VARCHAR[]), unnest($6::INTEGER[]), unnest($7::DATE[]), unnest($8::VARCHAR[]),
       unnest($9::VARCHAR[]), unnest($10::INTEGER[]){_REVIEW_UPDATE}"""
_INSERT_SKIPPED = """
INSERT OR REPLACE INTO run_reviews (run_id, review_id, outcome, message, seconds)
SELECT $1, unnest($2::VARCHAR[]), 'skipped', unnest($3::VARCHAR[]), NULL"""

# The details of reviews a manifest gives that the figures are counted by: a skipped review's are updated from
# its manifest row, and the run says what changed (the run's log held only "unchanged since the last run").
_DETAILS = ("title", "area", "nation", "review_type", "year", "published")
_SELECT_DETAILS = f"SELECT review_id, {', '.join(_DETAILS)} FROM reviews WHERE review_id IN (SELECT unnest(?))"
DETAILS_UPDATED = "; its details were updated from the manifest: "
_SELECT_DETAILS_UPDATED = f"""
SELECT review_id, message FROM run_reviews
WHERE run_id = ? AND outcome = 'skipped' AND contains(message, '{DETAILS_UPDATED.strip("; ")}')
ORDER BY review_id"""

_SELECT_STORED_PAGES = "SELECT pages FROM documents WHERE review_id = ?"
_HAS_PASSAGES = "SELECT 1 FROM passages WHERE review_id = ? LIMIT 1"
_MARK_DOCUMENT_FAILED = """
UPDATE documents SET status = 'failed', error = ?, processed_at = ?, run_id = ? WHERE review_id = ?"""

# Children before the rows they point to; theme_evidence has no review_id, so it goes via passage_themes.
_DELETE_REVIEW_ROWS: tuple[str, ...] = (
    "DELETE FROM theme_evidence WHERE passage_id IN "
    "(SELECT passage_id FROM passage_themes WHERE review_id = ?)",
    "DELETE FROM passage_themes WHERE review_id = ?",
    "DELETE FROM review_themes WHERE review_id = ?",
    "DELETE FROM sentences WHERE review_id = ?",
    "DELETE FROM passages WHERE review_id = ?",
    "DELETE FROM pages WHERE review_id = ?",
    "DELETE FROM documents WHERE review_id = ?",
)

_INSERT_DOCUMENT = """
INSERT INTO documents (review_id, sha256, status, error, pages, needs_ocr_pages, size_bytes, content_kind,
                       pipeline_version, fetched_at, processed_at, run_id, theme_model, ocr_on, ocr_left)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""

# Bulk inserts: one list parameter per column, zipped row-wise by unnest (much faster than executemany).
_INSERT_PAGES = """
INSERT INTO pages (review_id, page, chars, needs_ocr, ocr, ocr_confidence, printed)
SELECT unnest($1), unnest($2), unnest($3), unnest($4), unnest($5), unnest($6), unnest($7)"""
_INSERT_PASSAGES = """
INSERT INTO passages (passage_id, review_id, seq, text, page_start, page_end, section, char_start, char_end,
                      headings, footnote)
SELECT unnest($1), unnest($2), unnest($3), unnest($4), unnest($5), unnest($6), unnest($7), unnest($8),
       unnest($9), unnest($10::VARCHAR[][]), unnest($11::BOOLEAN[])"""
_INSERT_SENTENCES = """
INSERT INTO sentences (passage_id, seq, review_id, text, char_start, char_end)
SELECT unnest($1), unnest($2), unnest($3), unnest($4), unnest($5), unnest($6)"""
_INSERT_PASSAGE_THEMES = """
INSERT INTO passage_themes (passage_id, review_id, theme, score, model_version)
SELECT unnest($1), unnest($2), unnest($3), unnest($4), unnest($5)"""
_INSERT_THEME_EVIDENCE = """
INSERT INTO theme_evidence (passage_id, theme, rank, sentence_seq, text, score)
SELECT unnest($1), unnest($2), unnest($3), unnest($4), unnest($5), unnest($6)"""
# Vectors arrive flattened in the registered numpy columns (passage index k, position j, value x): turning
# nested Python lists into DuckDB lists one float at a time is about 15 times slower.
_INSERT_EMBEDDINGS = """
INSERT INTO passage_embeddings (passage_id, model, vector)
SELECT $1[k + 1], $2, vector
FROM (SELECT k, list(x ORDER BY j) AS vector FROM embedding_values GROUP BY k)
ON CONFLICT DO NOTHING"""
_INSERT_FETCH_ATTEMPTS = """
INSERT INTO fetch_attempts (run_id, review_id, attempt, url, status_code, error, elapsed_s, attempted_at)
SELECT unnest($1), unnest($2), unnest($3), unnest($4), unnest($5), unnest($6), unnest($7), unnest($8)"""
_INSERT_RUN_REVIEW = """
INSERT OR REPLACE INTO run_reviews (run_id, review_id, outcome, message, seconds) VALUES (?, ?, ?, ?, ?)"""

# One row per theme of the review: how many passages carry it, the best score, and the best evidence
# quotes (ties broken by position in the review) with the page their passage starts on.
_ROLL_UP_REVIEW_THEMES = f"""
INSERT INTO review_themes (review_id, theme, model_version, passages_tagged, max_score, top_evidence)
WITH tagged AS (
    SELECT theme, max(model_version) AS model_version, count(*) AS passages_tagged, max(score) AS max_score
    FROM passage_themes WHERE review_id = $1
    GROUP BY theme
), ranked AS (
    SELECT e.theme, e.text, p.page_start AS page, e.passage_id, e.score,
           row_number() OVER (PARTITION BY e.theme ORDER BY e.score DESC, p.seq, e.rank) AS position
    FROM theme_evidence e
    JOIN passage_themes t ON t.passage_id = e.passage_id AND t.theme = e.theme
    JOIN passages p ON p.passage_id = e.passage_id
    WHERE t.review_id = $1
), best AS (
    SELECT theme,
           list({{'text': text, 'page': page, 'passage_id': passage_id, 'score': score}} ORDER BY position)
               AS top_evidence
    FROM ranked WHERE position <= {TOP_EVIDENCE}
    GROUP BY theme
)
SELECT $1, tagged.theme, tagged.model_version, tagged.passages_tagged, tagged.max_score,
       coalesce(best.top_evidence, [])
FROM tagged LEFT JOIN best USING (theme)"""

# A run still marked running when the next starts was killed: its end time is not known (it stays NULL), and its
# counts are what its log holds.
_KILLED_RUNS = "SELECT run_id FROM runs WHERE status = 'running'"
_MARK_INTERRUPTED = """
UPDATE runs SET status = 'interrupted', reviews_processed = ?, reviews_skipped = ?, reviews_failed = ?, pages = ?,
                passages = ?
WHERE run_id = ?"""
_INSERT_RUN = """
INSERT INTO runs (run_id, started_at, manifest, manifest_sha256, pipeline_version, status, manifest_path)
VALUES (?, ?, ?, ?, ?, 'running', ?)"""
# A review needing OCR yielded no text, so it counts with the failures (and separately as needs_ocr).
_COUNT_RUN_REVIEWS = """
SELECT count(*) FILTER (WHERE outcome = 'processed'),
       count(*) FILTER (WHERE outcome = 'skipped'),
       count(*) FILTER (WHERE outcome IN ('failed', 'needs_ocr')),
       count(*) FILTER (WHERE outcome = 'needs_ocr')
FROM run_reviews WHERE run_id = ?"""
_SELECT_RUN_PROBLEMS = """
SELECT review_id, outcome, message,
       EXISTS (SELECT 1 FROM passages p WHERE p.review_id = run_reviews.review_id) AS keeps_earlier_version
FROM run_reviews
WHERE run_id = ? AND outcome IN ('failed', 'needs_ocr')
ORDER BY review_id"""
# Reviews read, but not wholly: some pages had no readable text layer.
_SELECT_RUN_NOTES = """
SELECT review_id, message FROM run_reviews
WHERE run_id = ? AND outcome = 'processed' AND message IS NOT NULL
ORDER BY review_id"""
# Pages and passages written by the run (a failed review keeps rows from an earlier run: not counted).
_COUNT_RUN_PAGES = """
SELECT count(*) FROM pages JOIN documents USING (review_id)
WHERE documents.run_id = ? AND documents.status <> 'failed'"""
_COUNT_RUN_PASSAGES = """
SELECT count(*) FROM passages JOIN documents USING (review_id)
WHERE documents.run_id = ? AND documents.status <> 'failed'"""
_FINISH_RUN = """
UPDATE runs SET finished_at = ?, status = ?, reviews_processed = ?, reviews_skipped = ?, reviews_failed = ?,
                pages = ?, passages = ?
WHERE run_id = ?"""
_SELECT_RUN = "SELECT * FROM runs WHERE run_id = ?"
_SELECT_LAST_RUN = "SELECT * FROM runs ORDER BY started_at DESC LIMIT 1"

_SELECT_FAILURE = "SELECT status, error, sha256, pipeline_version FROM documents WHERE review_id = ?"
# A document is read again when it has changed, when this version of casereview or the theme model differs
# from the one that read it, when it failed, and when OCR is on now ($ocr) but was not when it left text unread
# that OCR could read: pages without a usable text layer, or lines in a garbled font (a document whose text OCR
# tried and found no English in is not tried again).
_UNCHANGED = """
pipeline_version = $version AND status <> 'failed' AND theme_model IS NOT DISTINCT FROM $model
AND NOT ($ocr AND ocr_on IS NOT TRUE AND (coalesce(ocr_left, false) OR coalesce(len(needs_ocr_pages), 0) > 0))"""
_UNCHANGED_DOCUMENTS = f"SELECT review_id, sha256 FROM documents WHERE {_UNCHANGED}"
_SELECT_EMBEDDINGS = """
SELECT passage_id, vector FROM passage_embeddings
WHERE model = $2 AND passage_id IN (SELECT unnest($1::VARCHAR[]))"""
# Words the full-text index leaves out: articles, pronouns, forms of be/have/do, modal verbs and the commonest
# prepositions and conjunctions, which say nothing about what a passage is about. DuckDB's own English list
# (571 words) also leaves out words that carry the meaning of a safeguarding search: "not seen alone", "never",
# "without", "said", "known to", "help", "nobody", "against"; with it "seen alone" could not be searched at all.
# The tokenizer splits at apostrophes, so "s", "t", "d", "ll", "re", "ve" and "m" are the ends of "child's",
# "didn't", "she'd", "we'll", "they're", "I've" and "I'm". "may" is kept: it is also a month.
SEARCH_STOPWORDS: tuple[str, ...] = (
    "a", "an", "the", "this", "that", "these", "those", "there", "here",
    "and", "or", "but", "as", "if", "than", "then", "so", "also", "such",
    "of", "to", "in", "on", "at", "by", "for", "from", "with", "into", "onto", "upon",
    "is", "are", "was", "were", "be", "been", "being", "am", "has", "have", "had", "having", "do", "does", "did",
    "will", "would", "shall", "should", "can", "could", "might", "must",
    "i", "me", "my", "we", "us", "our", "you", "your", "he", "him", "his", "she", "her", "hers", "it", "its",
    "they", "them", "their", "theirs", "himself", "herself", "itself", "themselves",
    "which", "who", "whom", "whose", "what",
    "s", "t", "d", "ll", "re", "ve", "m", "&",
)
# What the index treats as the space between words, after lower-casing and stripping accents: anything but
# letters, digits and "&". DuckDB's default also splits at digits, so "section 47" was searched as "section"
# (the same hits as "section 20"), "s47" as "s" and "A&E" as "a" and "e" (which found "Child E").
SEARCH_IGNORE = r"(\.|[^a-z0-9&])+"
_CREATE_STOPWORDS = "CREATE OR REPLACE TEMP TABLE search_stopwords (sw VARCHAR)"
_INSERT_STOPWORDS = "INSERT INTO search_stopwords SELECT unnest($1::VARCHAR[])"
_CREATE_FTS_INDEX = (
    "PRAGMA create_fts_index('passages', 'passage_id', 'text', 'section', "
    f"stemmer = 'porter', stopwords = 'search_stopwords', ignore = '{SEARCH_IGNORE}', overwrite = 1)"
)

_COUNT_DOCUMENTS_BY_STATUS = "SELECT status, count(*) FROM documents GROUP BY status"
_COUNT_EARLIER_VERSION = "SELECT count(*) FROM documents WHERE status <> 'failed' AND pipeline_version <> ?"
_COUNT_TABLES = """
SELECT (SELECT count(*) FROM reviews), (SELECT count(*) FROM pages), (SELECT count(*) FILTER (WHERE ocr) FROM pages),
       (SELECT count(*) FROM passages), (SELECT count(*) FROM sentences), (SELECT count(*) FROM passage_themes)"""
# Reviews whose documents are the same bytes (a link pasted twice, or two links to one file); with a run id,
# only the groups that one of the run's reviews belongs to.
# (each review's manifest line is in the manifest of the latest run that listed it, named beside it)
_SELECT_SAME_DOCUMENTS = """
SELECT list(review_id ORDER BY manifest_line, review_id) AS review_ids,
       list(manifest_line ORDER BY manifest_line, review_id) AS manifest_lines,
       list(coalesce((SELECT m.manifest FROM run_reviews rr JOIN runs m USING (run_id)
                      WHERE rr.review_id = r.review_id ORDER BY m.started_at DESC LIMIT 1), '')
            ORDER BY manifest_line, review_id) AS manifests
FROM documents d JOIN reviews r USING (review_id)
WHERE d.status = 'ok' AND d.sha256 IS NOT NULL
GROUP BY d.sha256
HAVING count(*) > 1
   AND ($1::VARCHAR IS NULL OR bool_or(review_id IN (SELECT review_id FROM run_reviews WHERE run_id = $1)))
ORDER BY min(manifest_line), min(review_id)"""
_SELECT_REVIEWS_LISTED = """
SELECT r.review_id, r.title, r.area, r.year, d.status, count(p.passage_id) AS passages
FROM reviews r LEFT JOIN documents d USING (review_id) LEFT JOIN passages p USING (review_id)
WHERE r.review_id IN (SELECT unnest($1::VARCHAR[]))
GROUP BY ALL ORDER BY r.review_id"""
# Stored reviews of these ids last read by a run of another manifest, with the checksum of what was read: a second
# manifest that uses an id the first one uses (child-a) for another review replaces it when its run reads another
# document for it.
_SELECT_CLAIMED_ELSEWHERE = """
SELECT r.review_id, r.source, u.manifest_path AS manifest, n.source AS new_source, d.sha256
FROM reviews r
JOIN (SELECT unnest($1::VARCHAR[]) AS review_id, unnest($2::VARCHAR[]) AS source) n USING (review_id)
JOIN documents d USING (review_id)
JOIN runs u ON u.run_id = d.run_id
WHERE u.manifest_path <> $3  -- (runs before schema 20 did not record it)
ORDER BY r.review_id"""
_SELECT_REVIEWS_NOT_IN = """
SELECT review_id FROM reviews WHERE review_id NOT IN (SELECT unnest($1::VARCHAR[])) ORDER BY review_id"""
# A removed review's topic assignments and its row in reviews go too; runs' logs (run_reviews,
# fetch_attempts) keep what happened to it.
_DELETE_REVIEW_EXTRAS: tuple[str, ...] = (
    "DELETE FROM passage_topics WHERE passage_id IN (SELECT passage_id FROM passages WHERE review_id = ?)",
    "DELETE FROM topic_representatives WHERE passage_id IN (SELECT passage_id FROM passages WHERE review_id = ?)",
    "DELETE FROM passage_embeddings WHERE passage_id IN (SELECT passage_id FROM passages WHERE review_id = ?)",
)
# The checksums of the documents of these reviews that no other review's document shares: the copies in the
# document store that go with them.
_ONLY_THEIR_DOCUMENTS = """
SELECT DISTINCT sha256 FROM documents
WHERE review_id IN (SELECT unnest($1::VARCHAR[])) AND sha256 IS NOT NULL
  AND sha256 NOT IN (SELECT sha256 FROM documents
                     WHERE review_id NOT IN (SELECT unnest($1::VARCHAR[])) AND sha256 IS NOT NULL)"""
_DELETE_REVIEW = "DELETE FROM reviews WHERE review_id = ?"
_DELETE_CHECK: tuple[str, ...] = (
    "DELETE FROM theme_check_scores WHERE check_id = ?",
    "DELETE FROM theme_checks WHERE check_id = ?",
)
_INSERT_CHECK = "INSERT INTO theme_checks VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
_INSERT_CHECK_SCORE = "INSERT INTO theme_check_scores VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_SELECT_CHECKS = """
SELECT check_id, recorded_at, model_version, gold_file, gold_sha256, passages, sample
FROM theme_checks ORDER BY recorded_at DESC, check_id"""
_SELECT_FAILURES = """
SELECT d.review_id, d.status, d.error, r.title, r.source, d.processed_at, d.run_id,
       d.status = 'failed' AND d.pages IS NOT NULL AS keeps_earlier_version
FROM documents d LEFT JOIN reviews r USING (review_id)
WHERE d.status IN ('failed', 'needs_ocr')
ORDER BY d.review_id"""


# --------------------------------------------------------------------------- the store


class Store:
    """The pipeline's DuckDB database.

    Parameters
    ----------
    path : Path
        The database file; its folder is created and the schema brought up to date.
    lock_timeout : float
        Seconds to wait when another program holds the file before giving up with ``StoreError``.

    Raises
    ------
    StoreError
        If the file is not a DuckDB database, stays locked, or was written by a newer casereview.

    Examples
    --------
    How the pipeline uses it (``result`` is a ``ReviewResult`` from the stages; not run as a test):

    >>> store = Store(Path("outputs/casereview.duckdb"))  # doctest: +SKIP
    >>> run_id = store.start_run(Path("manifest.csv"), manifest_sha256)  # doctest: +SKIP
    >>> store.write_review(run_id, result, seconds=2.5)  # doctest: +SKIP
    >>> store.rebuild_fts()  # doctest: +SKIP
    >>> store.finish_run(run_id)  # doctest: +SKIP
    {'run_id': ..., 'reviews_processed': 1, ...}
    """

    def __init__(self, path: Path, lock_timeout: float = DEFAULT_LOCK_TIMEOUT_S) -> None:
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        # Reentrant so a caller holding ``connect()`` can still call the other methods from the same thread.
        self._lock = threading.RLock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if problem := not_duckdb_message(self.path):
            raise StoreError(problem)
        if self.path.exists():
            # Read-only first: an up-to-date database opens even while another program is reading it.
            with self._connection(read_only=True) as con:
                if not _pending_migrations(con, self.path):
                    return
        with self._connection(read_only=False) as con:
            _apply_migrations(con, self.path)

    # ------------------------------------------------------------------ connections

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """Open the database with the full-text-search extension loaded (when available); close it after.

        Parameters
        ----------
        read_only : bool
            Open read-only (other read-only programs may open the file at the same time).

        Yields
        ------
        duckdb.DuckDBPyConnection
            Keep it only as long as needed: while it is open no other program can write.
        """
        with self._connection(read_only, fts=True) as con:
            yield con

    @contextmanager
    def _connection(self, read_only: bool, fts: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._lock:
            con = self._open(read_only)
            try:
                if fts:
                    _load_fts(con)
                yield con
            finally:
                con.close()

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.05
        while True:
            try:
                con = duckdb.connect(str(self.path), read_only=read_only, config=NO_DOWNLOADS)
                break
            except duckdb.IOException as exc:
                if not _is_lock_conflict(exc):
                    raise StoreError(
                        f"Could not open the database {self.path}: {exc}. Check that the path names a "
                        "casereview DuckDB file (or a new file to create)."
                    ) from exc
                if time.monotonic() >= deadline:
                    raise StoreError(
                        f"The database {self.path} is in use by another program (waited "
                        f"{self.lock_timeout:g} s): close any DuckDB shell or notebook that has it open and "
                        "try again."
                    ) from exc
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
        # A query touching an extension that is not installed must never download it.
        con.execute("SET autoinstall_known_extensions = false")
        return con

    # ------------------------------------------------------------------ runs

    def start_run(self, manifest: Path, manifest_sha256: str) -> str:
        """Record the start of a run and return its id (UTC start time plus a random suffix).

        Parameters
        ----------
        manifest : Path
            The manifest the run processes.
        manifest_sha256 : str
            Checksum of the manifest bytes that were read.

        Returns
        -------
        str
            The run id, e.g. ``20261115T093012Z-3f9a1c``.
        """
        started = _utc_now()
        run_id = f"{started:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
        with self._connection(read_only=False) as con:
            # A run still marked running was killed (its process is gone): say so instead of leaving it open.
            for (killed,) in con.execute(_KILLED_RUNS).fetchall():
                processed, skipped, failed, _, pages, passages = self._run_counts(con, killed)
                con.execute(_MARK_INTERRUPTED, [processed, skipped, failed, pages, passages, killed])
            con.execute(_INSERT_RUN, [run_id, started, str(manifest), manifest_sha256, PIPELINE_VERSION,
                                      str(Path(manifest).resolve())])
        return run_id

    @staticmethod
    def _run_counts(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple[int, int, int, int, int, int]:
        """What a run did, from its log: reviews processed, skipped, failed (needs OCR among them), needs OCR, and
        the pages and passages it wrote."""
        processed, skipped, failed, needs_ocr = con.execute(_COUNT_RUN_REVIEWS, [run_id]).fetchone()
        pages = con.execute(_COUNT_RUN_PAGES, [run_id]).fetchone()[0]
        passages = con.execute(_COUNT_RUN_PASSAGES, [run_id]).fetchone()[0]
        return processed, skipped, failed, needs_ocr, pages, passages

    def finish_run(self, run_id: str, status: str = "finished") -> dict[str, Any]:
        """Close a run: count what happened to its reviews, store the counts and return the run's row.

        Parameters
        ----------
        run_id : str
            From ``start_run``.
        status : str
            'finished', or 'interrupted' when the run was stopped early.

        Returns
        -------
        dict
            The ``runs`` row (``reviews_failed`` counts failed reviews and those needing OCR), plus
            ``reviews_needs_ocr``, ``problems``: one dict (``review_id``, ``outcome``, ``message``) per
            review of the run that failed or needs OCR, ``notes``: one dict (``review_id``, ``message``)
            per review read in part or by OCR (pages read by OCR, or without readable text), and
            ``same_documents``: one dict (``review_ids``, ``manifest_lines``) per group of reviews, one of them
            in this run, whose documents are the same file (see ``same_documents``).
        """
        if status not in RUN_END_STATUSES:
            raise ValueError(f"run status must be one of {RUN_END_STATUSES}, not {status!r}")
        with self._connection(read_only=False) as con:
            processed, skipped, failed, needs_ocr, pages, passages = self._run_counts(con, run_id)
            con.execute(
                _FINISH_RUN, [_utc_now(), status, processed, skipped, failed, pages, passages, run_id]
            )
            row = _fetch_dicts(con, _SELECT_RUN, [run_id])
            problems = _fetch_dicts(con, _SELECT_RUN_PROBLEMS, [run_id])
            notes = _fetch_dicts(con, _SELECT_RUN_NOTES, [run_id])
            same = _fetch_dicts(con, _SELECT_SAME_DOCUMENTS, [run_id])
            updated = _fetch_dicts(con, _SELECT_DETAILS_UPDATED, [run_id])
        if not row:
            raise StoreError(f"No run {run_id!r} in {self.path}: start_run was not called for it.")
        return {**row[0], "reviews_needs_ocr": needs_ocr, "problems": problems, "notes": notes,
                "same_documents": same, "details_updated": updated}

    # ------------------------------------------------------------------ reviews

    def is_unchanged(self, review_id: str, sha256: str, theme_model: str | None = None, ocr_on: bool = False) -> bool:
        """Return True when this document was already processed successfully by this pipeline version and
        tagged by this theme model (a new model, or none, means its passages must be tagged again), and, when
        OCR is on now, left no text unread for want of it. (A run asks for all reviews at once with
        ``unchanged_documents``; this is the same test for one.)

        Parameters
        ----------
        review_id : str
            The review.
        sha256 : str
            Checksum of the document just fetched.
        theme_model : str or None
            Version of the theme model this run tags with (None without one).
        ocr_on : bool
            Whether this run reads pages without a text layer by OCR.
        """
        return self.unchanged_documents(theme_model, ocr_on).get(review_id) == sha256

    def unchanged_documents(self, theme_model: str | None = None, ocr_on: bool = False) -> dict[str, str]:
        """``is_unchanged`` for every review at once, in one query: review id -> checksum of its document, for
        the documents processed successfully by this pipeline version and tagged by this theme model. A run
        reads it once at its start, so that a review whose file has not changed costs no database call.

        Parameters
        ----------
        theme_model : str or None
            Version of the theme model the run tags with (None without one).
        ocr_on : bool
            Whether the run reads pages without a text layer by OCR.
        """
        values = {"version": PIPELINE_VERSION, "model": theme_model, "ocr": ocr_on}
        with self._connection(read_only=True) as con:
            return dict(con.execute(_UNCHANGED_DOCUMENTS, values).fetchall())

    def read_by_other_versions(self) -> set[str]:
        """The reviews whose stored text was read by another version of casereview than this one
        (``PIPELINE_VERSION``): a run reads them again, whether or not their documents changed."""
        with self._connection(read_only=True) as con:
            return {rid for (rid,) in con.execute(
                "SELECT review_id FROM documents WHERE status <> 'failed' AND pipeline_version <> ?",
                [PIPELINE_VERSION]).fetchall()}

    def processed_in_run(self, run_id: str) -> set[str]:
        """The reviews a run read and saved (its outcome 'processed')."""
        with self._connection(read_only=True) as con:
            return {rid for (rid,) in con.execute(
                "SELECT review_id FROM run_reviews WHERE run_id = ? AND outcome = 'processed'", [run_id]).fetchall()}

    def write_review(self, run_id: str, result: ReviewResult, seconds: float) -> None:
        """Write everything about one review in one transaction.

        The review's manifest row is updated, its document, pages, passages, sentences and themes are
        replaced, its theme roll-up is recomputed, new embeddings are added to the cache, and the fetch
        attempts and the review's outcome are recorded for the run. A failed result whose review already has
        an extracted version keeps that version's rows (nothing is lost) and only marks the document failed
        with the error; so does a new version that needs OCR (no text could be read from it) of a review that
        has text from an earlier reading. If anything raises, the transaction is rolled back and the previous rows stay.

        Parameters
        ----------
        run_id : str
            From ``start_run``.
        result : ReviewResult
            What the pipeline found.
        seconds : float
            Time spent on the review, for run summaries.
        """
        _check_result(result)
        review_id = result.entry.review_id
        now = _utc_now()
        with self._connection(read_only=False) as con, _transaction(con):
            con.execute(_UPSERT_REVIEW, _review_row(result.entry))
            if result.status == "failed" and _is_same_failure(con, review_id, result):
                pass  # the same failure as last time: the run log records it, the data stays unchanged
            elif ((result.status == "failed" and _has_extracted_version(con, review_id))
                  or (result.status == "needs_ocr" and _has_text(con, review_id))):
                # a new version that gave no text (a scan, with OCR off) keeps the earlier text as a failure does
                con.execute(_MARK_DOCUMENT_FAILED, [_error_text(result), now, run_id, review_id])
            else:
                _replace_review_rows(con, run_id, result, now)
            if result.embeddings:
                _insert_embeddings(con, result.embeddings, result.embedding_model)
            _bulk_insert(con, _INSERT_FETCH_ATTEMPTS, _attempt_rows(run_id, review_id, result.attempts))
            con.execute(_INSERT_RUN_REVIEW, _run_review_row(run_id, result, seconds))

    def record_skip(self, run_id: str, entry: ManifestEntry, message: str) -> None:
        """Record that a review was skipped in a run (e.g. unchanged), refreshing its manifest details (a run
        records its skips in batches with ``record_skips``).

        Parameters
        ----------
        run_id : str
            From ``start_run``.
        entry : ManifestEntry
            The manifest row (its title, notes etc. may have been edited).
        message : str
            Why it was skipped, for the run summary.
        """
        self.record_skips(run_id, [(entry, message)])

    def record_skips(self, run_id: str, skips: list[tuple[ManifestEntry, str]]) -> None:
        """``record_skip`` for several reviews in one transaction (a long manifest's re-run skips most of its
        reviews; opening the database for each would cost more than checking the review).

        Parameters
        ----------
        run_id : str
            From ``start_run``.
        skips : list of (ManifestEntry, str)
            Each skipped review's manifest row and why it was skipped.
        """
        if not skips:
            return
        with self._connection(read_only=False) as con, _transaction(con):
            stored = {row[0]: row[1:] for row in con.execute(
                _SELECT_DETAILS, [[entry.review_id for entry, _ in skips]]).fetchall()}
            messages = [message + _details_changed(stored.get(entry.review_id), entry) for entry, message in skips]
            rows = [_review_row(entry) for entry, _ in skips]
            con.execute(_UPSERT_REVIEWS, [list(column) for column in zip(*rows, strict=True)])
            con.execute(_INSERT_SKIPPED, [run_id, [entry.review_id for entry, _ in skips], messages])

    # ------------------------------------------------------------------ search and embeddings

    def rebuild_fts(self) -> bool:
        """Rebuild the full-text index of passages (it does not follow later writes: call after a run).

        The index stems English words (Porter), keeps numbers ("section 47") and "&" ("A&E"), and leaves out
        only the words in ``SEARCH_STOPWORDS``.

        Returns
        -------
        bool
            False, with a logged warning, when the full-text-search extension is unavailable.
        """
        with self._connection(read_only=False) as con:
            if not _load_fts(con):
                log.warning("Full-text search is unavailable: the passage search index was not rebuilt.")
                return False
            con.execute(_CREATE_STOPWORDS)
            con.execute(_INSERT_STOPWORDS, [list(SEARCH_STOPWORDS)])
            con.execute(_CREATE_FTS_INDEX)
        return True

    def cached_embeddings(self, passage_ids: list[str], model: str) -> dict[str, list[float]]:
        """Return the stored embeddings of these passages made with ``model`` (missing ones are left out).

        Parameters
        ----------
        passage_ids : list of str
            Passages wanted.
        model : str
            Name (or path) of the encoder.
        """
        if not passage_ids:
            return {}
        with self._connection(read_only=True) as con:
            rows = con.execute(_SELECT_EMBEDDINGS, [list(passage_ids), model]).fetchall()
        return {passage_id: list(vector) for passage_id, vector in rows}

    # ------------------------------------------------------------------ reports

    def summary(self) -> dict[str, Any]:
        """Counts for ``casereview status``: documents by status, rows stored, failures and the last run.

        Returns
        -------
        dict
            Keys ``reviews``, ``documents`` (status -> count), ``pages``, ``pages_read_by_ocr``, ``passages``,
            ``sentences``, ``passage_themes``, ``failures`` (see ``failures``), ``same_documents`` (see
            ``same_documents``), ``last_run`` (a ``runs`` row or None) and ``read_by_earlier_version`` (how
            many documents were read by an earlier ``PIPELINE_VERSION``: the next run reads them again) and
            ``theme_checks`` (see ``checks``).
        """
        with self._connection(read_only=True) as con:
            reviews, pages, ocr_pages, passages, sentences, themes = con.execute(_COUNT_TABLES).fetchone()
            documents = {status: 0 for status in DOCUMENT_STATUSES}
            documents.update(dict(con.execute(_COUNT_DOCUMENTS_BY_STATUS).fetchall()))
            failures = _fetch_dicts(con, _SELECT_FAILURES)
            last_run = _fetch_dicts(con, _SELECT_LAST_RUN)
            if last_run and last_run[0]["status"] in ("running", "interrupted") \
                    and last_run[0]["reviews_processed"] is None:  # counted so far, from its log
                counts = con.execute(_COUNT_RUN_REVIEWS, [last_run[0]["run_id"]]).fetchone()
                last_run[0].update(zip(("reviews_processed", "reviews_skipped", "reviews_failed"), counts[:3],
                                       strict=True))
            earlier = con.execute(_COUNT_EARLIER_VERSION, [PIPELINE_VERSION]).fetchone()[0]
        same = self.same_documents()
        checks = self.checks()
        return {
            "reviews": reviews,
            "documents": documents,
            "pages": pages,
            "pages_read_by_ocr": ocr_pages,
            "passages": passages,
            "sentences": sentences,
            "passage_themes": themes,
            "failures": failures,
            "same_documents": same,
            "last_run": last_run[0] if last_run else None,
            "read_by_earlier_version": earlier,
            "theme_checks": checks,
        }

    def same_documents(self) -> list[dict[str, Any]]:
        """Groups of reviews whose documents are the same file (identical bytes), read without error.

        Usually a manifest mistake (a link pasted on two rows, or two links to one file): each review is
        stored, so the document's passages are found and counted once for each of them.

        Returns
        -------
        list of dict
            ``review_ids`` and their ``manifest_lines``, in manifest order.
        """
        with self._connection(read_only=True) as con:
            return _fetch_dicts(con, _SELECT_SAME_DOCUMENTS, [None])

    def reviews(self, review_ids: Sequence[str]) -> list[dict[str, Any]]:
        """The stored reviews among ``review_ids``: ``review_id``, ``title``, ``area``, ``year``, ``status``
        (of its document; None when it was never fetched) and ``passages`` (how many are stored)."""
        with self._connection(read_only=True) as con:
            return _fetch_dicts(con, _SELECT_REVIEWS_LISTED, [list(review_ids)])

    def claimed_elsewhere(self, manifest: Path, entries: Sequence[Any]) -> list[dict[str, Any]]:
        """The manifest ``entries`` (``ManifestEntry``) whose review id the database holds for a review last read
        by a run of another manifest: ``review_id``, ``source``, ``manifest`` and ``sha256`` (as stored) and
        ``new_source``. Read before the run: two manifests that use one id for two reviews replace each other's,
        run by run (see ``replaced_by_other_documents``)."""
        with self._connection(read_only=True) as con:
            return _fetch_dicts(con, _SELECT_CLAIMED_ELSEWHERE, [[e.review_id for e in entries],
                                                                 [e.source for e in entries],
                                                                 str(Path(manifest).resolve())])

    def replaced_by_other_documents(self, run_id: str, claimed: Sequence[dict[str, Any]],
                                    manifest: Path) -> list[dict[str, Any]]:
        """Of ``claimed`` (``claimed_elsewhere``, read before the run of ``manifest``), the reviews the run read
        from another document than the one stored before it, found at another place (a changed document at the
        link or file both manifests name is the same review, brought up to date)."""
        processed = self.processed_in_run(run_id)
        with self._connection(read_only=True) as con:
            now = dict(con.execute("SELECT review_id, sha256 FROM documents WHERE review_id IN "
                                   "(SELECT unnest(?::VARCHAR[]))", [[row["review_id"] for row in claimed]]).fetchall())
        return [row for row in claimed if row["review_id"] in processed and now.get(row["review_id"]) != row["sha256"]
                and _source_place(row["source"], Path(row["manifest"])) != _source_place(row["new_source"], manifest)]

    def reviews_not_in(self, review_ids: Sequence[str]) -> list[str]:
        """The ids of stored reviews that are not among ``review_ids`` (say, those of a manifest)."""
        with self._connection(read_only=True) as con:
            return [rid for (rid,) in con.execute(_SELECT_REVIEWS_NOT_IN, [list(review_ids)]).fetchall()]

    def document_checksums(self) -> set[str]:
        """The SHA-256 checksums of the documents the stored reviews were read from (the copies to keep)."""
        with self._connection(read_only=True) as con:
            return {sha for (sha,) in con.execute(
                "SELECT DISTINCT sha256 FROM documents WHERE sha256 IS NOT NULL").fetchall()}

    def remove_reviews(self, review_ids: Sequence[str]) -> tuple[int, list[str]]:
        """Delete everything stored about these reviews, in one transaction.

        Their manifest row, document, pages, passages, sentences, themes, roll-up, topic assignments and
        cached embeddings go; the runs' logs (``run_reviews``, ``fetch_attempts``) keep what happened to
        them. The full-text index does not follow deletions: rebuild it afterwards (``rebuild_fts``). Unknown
        ids are ignored.

        Returns
        -------
        (int, list of str)
            How many reviews there were, and the SHA-256 of their documents that no other review shares (whose
            copies in the document store can go: ``pipeline.fetch.remove_copies``).
        """
        with self._connection(read_only=False) as con, _transaction(con):
            known = [rid for (rid,) in con.execute(
                "SELECT review_id FROM reviews WHERE review_id IN (SELECT unnest($1::VARCHAR[]))",
                [list(review_ids)]).fetchall()]
            checksums = [sha for (sha,) in con.execute(_ONLY_THEIR_DOCUMENTS, [known]).fetchall()]
            for review_id in known:
                for sql in (*_DELETE_REVIEW_EXTRAS, *_DELETE_REVIEW_ROWS, _DELETE_REVIEW):
                    con.execute(sql, [review_id])
        return len(known), checksums

    def record_check(self, model_version: str, gold_file: str, gold_sha256: str, report: dict[str, Any],
                     sample: str | None = None) -> str:
        """Keep a check of the theme model on labelled passages (``casereview evaluate --record``); return its id.

        Parameters
        ----------
        model_version : str
            The model checked.
        gold_file, gold_sha256 : str
            The labelled file's name and the SHA-256 of its bytes.
        report : dict
            The evaluation report (:func:`pipeline.themes.evaluate.evaluate`: ``items`` and ``themes``).
        sample : str, optional
            How the passages were drawn (from a label sheet's provenance).

        The same file and model recorded again replace the earlier rows, in one transaction: a check is
        never counted twice.
        """
        check_id = hashlib.sha256(f"{model_version}\n{gold_sha256}".encode()).hexdigest()[:16]
        rows = [(check_id, theme, int(t["support"]), int(t["tagged"]), int(t.get("left_out") or 0),
                 t["precision"], t["recall"], t["f1"], *(t.get("f1_interval") or (None, None)))
                for theme, t in report["themes"].items()]
        with self._connection(read_only=False) as con, _transaction(con):
            for sql in _DELETE_CHECK:
                con.execute(sql, [check_id])
            con.execute(_INSERT_CHECK, [check_id, _utc_now(), model_version, gold_file, gold_sha256,
                                        int(report["items"]), sample, json.dumps(report, default=str)])
            con.executemany(_INSERT_CHECK_SCORE, rows)
        return check_id

    def theme_models(self) -> list[str]:
        """The versions of the theme models whose tags the database holds, sorted."""
        with self._connection(read_only=True) as con:
            return [row[0] for row in con.execute(
                "SELECT DISTINCT model_version FROM passage_themes ORDER BY 1").fetchall()]

    def checks(self) -> list[dict[str, Any]]:
        """The recorded checks of the theme model, latest first: ``check_id``, ``recorded_at``,
        ``model_version``, ``gold_file``, ``gold_sha256``, ``passages`` and ``sample``."""
        with self._connection(read_only=True) as con:
            return _fetch_dicts(con, _SELECT_CHECKS)

    def failures(self) -> list[dict[str, Any]]:
        """Return the reviews whose document could not be read (status 'failed' or 'needs_ocr'), with why.

        Returns
        -------
        list of dict
            ``review_id``, ``status``, ``error``, ``title``, ``source``, ``processed_at``, ``run_id`` and
            ``keeps_earlier_version`` (True when a failed review still has text from an earlier version).
        """
        with self._connection(read_only=True) as con:
            return _fetch_dicts(con, _SELECT_FAILURES)


# --------------------------------------------------------------------------- migrations


def _migrations() -> list[tuple[int, str, str]]:
    """Return (version, name, sql) for every migration file, in version order."""
    found = []
    for sql_file in MIGRATIONS_DIR.glob("*.sql"):
        match = _MIGRATION_NAME_RE.match(sql_file.name)
        if match:
            found.append((int(match.group(1)), match.group(2), sql_file.read_text(encoding="utf-8")))
    return sorted(found)


def _pending_migrations(con: duckdb.DuckDBPyConnection, path: Path) -> list[tuple[int, str, str]]:
    """Return the migrations this database still needs; refuse a database from a newer casereview."""
    migrations = _migrations()
    if not con.execute(_HAS_SCHEMA_MIGRATIONS).fetchone()[0]:
        others = [name for (name,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1 LIMIT 4"
        ).fetchall()]
        if others:  # someone else's database: never add casereview's tables to it
            raise StoreError(
                f"{path} is a DuckDB database, but not one made by casereview (it holds "
                f"{', '.join(others[:3])}{' and more' if len(others) > 3 else ''}), so it was left as it is. "
                "Give the casereview database with --db, or a new file name to make one with `casereview run`."
            )
        return migrations
    applied = {version for (version,) in con.execute(_SELECT_APPLIED).fetchall()}
    known = {version for version, _, _ in migrations}
    unknown = applied - known
    if unknown:
        raise StoreError(
            f"The database {path} has schema version {max(unknown)}, written by a newer casereview than this "
            f"one ({PIPELINE_VERSION}, schema version {max(known)}). Upgrade casereview, or use another "
            "database file."
        )
    return [migration for migration in migrations if migration[0] not in applied]


def _apply_migrations(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    con.execute(_CREATE_SCHEMA_MIGRATIONS)
    for version, name, sql in _pending_migrations(con, path):
        try:
            with _transaction(con):
                con.execute(sql)
                con.execute(_INSERT_MIGRATION, [version, name, _utc_now()])
        except duckdb.Error as exc:
            # (each step is one transaction: the failed one is rolled back, the ones before it stay)
            raise StoreError(
                f"The database {path} could not be brought up to date for this casereview: step "
                f"{version:03d} ({name.replace('_', ' ')}) failed ({' '.join(str(exc).split())}), and was undone, "
                "so the file holds what it held before that step. Keep the file, and report this message; to go "
                "on meanwhile, run with a new database file (--db NEW.duckdb), which reads the reviews again."
            ) from exc


# --------------------------------------------------------------------------- full-text search


def _fts_extension_file() -> Path | None:
    """The FTS extension shipped in the ``duckdb-extension-fts`` wheel for this DuckDB version."""
    try:
        import duckdb_extension_fts
    except ImportError:
        return None
    path = Path(duckdb_extension_fts.__file__).parent / "extensions" / f"v{duckdb.__version__}"
    path = path / "fts.duckdb_extension"
    return path if path.is_file() else None


def _load_fts(con: duckdb.DuckDBPyConnection) -> bool:
    """Load the FTS extension, installing it from the wheel (never from the network) the first time."""
    try:
        con.execute("LOAD fts")
        return True
    except duckdb.Error:
        pass
    extension = _fts_extension_file()
    if extension is None:
        return False
    try:
        con.install_extension(str(extension))
        con.execute("LOAD fts")
    except duckdb.Error as exc:
        log.debug("Could not install the FTS extension from %s: %s", extension, exc)
        return False
    return True


# --------------------------------------------------------------------------- writing a review


def _check_result(result: ReviewResult) -> None:
    """Reject results that would store inconsistent rows, before anything is written."""
    review_id = result.entry.review_id
    if result.status not in DOCUMENT_STATUSES:
        raise ValueError(f"{review_id}: status must be one of {DOCUMENT_STATUSES}, not {result.status!r}")
    if result.embeddings and not result.embedding_model:
        raise ValueError(f"{review_id}: embeddings given without embedding_model")
    for passage_id, vector in (result.embeddings or {}).items():
        if len(vector) == 0:
            raise ValueError(f"{review_id}: empty embedding for passage {passage_id}")
    if result.status == "failed":
        return
    passage_ids = set()
    for passage in result.passages:
        if passage.review_id != review_id:
            raise ValueError(f"{review_id}: passage {passage.passage_id} belongs to {passage.review_id}")
        passage_ids.add(passage.passage_id)
    for tag in result.themes:
        if tag.passage_id not in passage_ids:
            raise ValueError(f"{review_id}: theme {tag.theme!r} tags unknown passage {tag.passage_id}")


def _is_same_failure(con: duckdb.DuckDBPyConnection, review_id: str, result: ReviewResult) -> bool:
    """True when the stored document already failed with this error on these bytes and this pipeline version."""
    row = con.execute(_SELECT_FAILURE, [review_id]).fetchone()
    return row is not None and tuple(row) == ("failed", _error_text(result), result.sha256, PIPELINE_VERSION)


def _has_extracted_version(con: duckdb.DuckDBPyConnection, review_id: str) -> bool:
    """True when a document of this review was extracted before (its page count is known)."""
    row = con.execute(_SELECT_STORED_PAGES, [review_id]).fetchone()
    return row is not None and row[0] is not None


def _has_text(con: duckdb.DuckDBPyConnection, review_id: str) -> bool:
    """True when the review holds passages from an earlier reading."""
    return con.execute(_HAS_PASSAGES, [review_id]).fetchone() is not None


def _replace_review_rows(
    con: duckdb.DuckDBPyConnection, run_id: str, result: ReviewResult, now: datetime.datetime
) -> None:
    review_id = result.entry.review_id
    for sql in _DELETE_REVIEW_ROWS:
        con.execute(sql, [review_id])
    con.execute(_INSERT_DOCUMENT, _document_row(run_id, result, now))
    if result.status == "failed":
        return
    _bulk_insert(con, _INSERT_PAGES, [(review_id, p.number, p.chars, p.needs_ocr, p.ocr, p.ocr_confidence,
                                        p.printed) for p in result.pages])
    _bulk_insert(con, _INSERT_PASSAGES, _passage_rows(result.passages))
    _bulk_insert(con, _INSERT_SENTENCES, _sentence_rows(result.passages))
    _bulk_insert(con, _INSERT_PASSAGE_THEMES, _theme_rows(review_id, result.themes))
    _bulk_insert(con, _INSERT_THEME_EVIDENCE, _evidence_rows(result.themes))
    con.execute(_ROLL_UP_REVIEW_THEMES, [review_id])


def _bulk_insert(con: duckdb.DuckDBPyConnection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """Run an ``INSERT ... SELECT unnest($1), unnest($2), ...`` with one list parameter per column."""
    if rows:
        con.execute(sql, [list(column) for column in zip(*rows, strict=True)])


def _source_place(source: str | None, manifest: Path) -> str:
    """Where a manifest's source cell points: a link as it is, a file path in full (it is relative to the manifest).

    >>> _source_place("pdfs/a.pdf", Path("/m/ours/list.csv")), _source_place("https://x.org/a.pdf", Path("/m/l.csv"))
    ('/m/ours/pdfs/a.pdf', 'https://x.org/a.pdf')
    """
    if not source or re.match(r"[a-z][a-z0-9+.-]*://", source, re.IGNORECASE):
        return source or ""
    return os.path.normpath(str(Path(manifest).resolve().parent / source.replace("\\", "/")))


def _details_changed(stored: tuple | None, entry: ManifestEntry) -> str:
    """What a manifest row changed of a review's stored details, to add to its line in the run's log ("" when
    nothing did, or the review is new).

    >>> from pipeline.manifest import ManifestEntry
    >>> entry = ManifestEntry(review_id="a", title="Child A", area="Northmoor", nation="England", review_type="CSPR",
    ...                       year=2021, published=None, source="a.pdf", sha256=None, notes=None, line=2)
    >>> _details_changed(("Child A", "Northmoor", "England", "CSPR", 2022, None), entry)
    '; its details were updated from the manifest: year 2022 → 2021'
    >>> _details_changed(("Child A", "Northmoor", "England", "CSPR", 2021, None), entry)
    ''
    """
    if stored is None:
        return ""
    changes = []
    for name, before in zip(_DETAILS, stored, strict=True):
        after = getattr(entry, name)
        if before != after:
            changes.append(f"{name.replace('_', ' ')} {_shown_detail(before)} → {_shown_detail(after)}")
    return DETAILS_UPDATED + "; ".join(changes) if changes else ""


def _shown_detail(value: Any) -> str:
    if value is None or value == "":
        return "(none)"
    return str(value) if isinstance(value, int | datetime.date) else f"“{value}”"


def _review_row(entry: ManifestEntry) -> list[Any]:
    return [
        entry.review_id,
        entry.title,
        entry.area,
        entry.nation,
        entry.review_type,
        entry.year,
        entry.published,
        entry.source,
        entry.notes,
        entry.line,
    ]


def _document_row(run_id: str, result: ReviewResult, now: datetime.datetime) -> list[Any]:
    failed = result.status == "failed"
    return [
        result.entry.review_id,
        result.sha256,
        result.status,
        _error_text(result) if failed else result.error,
        None if failed else len(result.pages),
        None if failed else [p.number for p in result.pages if p.needs_ocr],
        result.size_bytes,
        result.content_kind,
        PIPELINE_VERSION,
        _utc_naive(result.fetched_at),
        now,
        run_id,
        None if failed else result.theme_model,
        None if failed else result.ocr_on,
        None if failed else any(p.needs_ocr or p.garbled_lines for p in result.pages),
    ]


def _passage_rows(passages: list[Passage]) -> list[tuple[Any, ...]]:
    return [
        (p.passage_id, p.review_id, p.seq, p.text, p.page_start, p.page_end, p.section, p.char_start, p.char_end,
         list(p.headings) or None, p.footnote)
        for p in passages
    ]


def _sentence_rows(passages: list[Passage]) -> list[tuple[Any, ...]]:
    return [
        (p.passage_id, s.seq, p.review_id, s.text, s.char_start, s.char_end)
        for p in passages
        for s in p.sentences
    ]


def _theme_rows(review_id: str, themes: list[ThemeTag]) -> list[tuple[Any, ...]]:
    return [(t.passage_id, review_id, t.theme, float(t.score), t.model_version) for t in themes]


def _evidence_rows(themes: list[ThemeTag]) -> list[tuple[Any, ...]]:
    return [
        (t.passage_id, t.theme, rank, e.sentence_seq, e.text, float(e.score))
        for t in themes
        for rank, e in enumerate(t.evidence, start=1)
    ]


def _insert_embeddings(
    con: duckdb.DuckDBPyConnection, embeddings: dict[str, Sequence[float]], model: str | None
) -> None:
    """Add vectors to the cache (existing ones for the same passage and model are kept)."""
    passage_ids = list(embeddings)
    vectors = [np.asarray(vector, dtype=np.float32).ravel() for vector in embeddings.values()]
    lengths = np.array([len(vector) for vector in vectors])
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    con.register(
        "embedding_values",
        {
            "k": np.repeat(np.arange(len(vectors)), lengths),
            "j": np.arange(int(lengths.sum())) - starts,
            "x": np.concatenate(vectors),
        },
    )
    try:
        con.execute(_INSERT_EMBEDDINGS, [passage_ids, model])
    finally:
        con.unregister("embedding_values")


def _attempt_rows(run_id: str, review_id: str, attempts: list[FetchAttempt]) -> list[tuple[Any, ...]]:
    return [
        (run_id, review_id, a.attempt, a.url, a.status_code, a.error, a.elapsed_s, _utc_naive(a.at))
        for a in attempts
    ]


def _run_review_row(run_id: str, result: ReviewResult, seconds: float) -> list[Any]:
    outcome = _OUTCOME_BY_STATUS[result.status]
    message = _error_text(result) if outcome == "failed" else result.error
    return [run_id, result.entry.review_id, outcome, message, float(seconds)]


def _error_text(result: ReviewResult) -> str:
    return (result.error or "").strip() or _NO_ERROR_TEXT


# --------------------------------------------------------------------------- small helpers


@contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Commit what the block writes, or roll all of it back if the block raises."""
    con.begin()
    try:
        yield
    except BaseException:
        con.rollback()
        raise
    # Outside the try: a failed commit is already rolled back by DuckDB.
    con.commit()


def _utc_now() -> datetime.datetime:
    """Now in UTC, without tzinfo: the columns are TIMESTAMP and hold UTC by convention."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def _utc_naive(moment: datetime.datetime | None) -> datetime.datetime | None:
    """Convert to naive UTC (DuckDB would otherwise shift aware values to the session's time zone)."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(datetime.UTC).replace(tzinfo=None)


def _is_lock_conflict(exc: duckdb.Error) -> bool:
    return "lock" in str(exc).lower()


def _fetch_dicts(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
