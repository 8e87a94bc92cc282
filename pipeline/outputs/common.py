"""Shared by search and the output commands: opening the database, theme names, provenance, formatting.

All SQL here is constant text; every value that comes from a user is passed as a query parameter.
"""

from __future__ import annotations

import datetime
import difflib
import functools
import json
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb

from pipeline import __version__
from pipeline.errors import CaseReviewError
from pipeline.settings import NO_DOWNLOADS, default_db, no_database_message
from pipeline.themes.taxonomy import plain_label
from pipeline.themes.trust import note_for_tags

log = logging.getLogger(__name__)

_THEMES_IN_DB = "SELECT DISTINCT theme FROM passage_themes ORDER BY theme"
_THEME_MODELS = "SELECT DISTINCT model_version FROM passage_themes WHERE model_version IS NOT NULL ORDER BY 1"
_EMBEDDING_MODELS = """
SELECT DISTINCT e.model FROM passage_embeddings e JOIN passages p ON p.passage_id = e.passage_id ORDER BY 1"""
_LATEST_FINISHED_RUN = """
SELECT run_id, finished_at, manifest, manifest_sha256
FROM runs WHERE status = 'finished'
ORDER BY finished_at DESC LIMIT 1"""
# For each review with text in the database, the run that last wrote it; then those runs, oldest first, with
# how many reviews each wrote: where the database's rows came from (the latest run may have read none of them).
_READ_BY_RUNS = """
WITH wrote AS (
    SELECT rr.review_id, arg_max(rr.run_id, r.started_at) AS run_id
    FROM run_reviews rr JOIN runs r ON r.run_id = rr.run_id
    WHERE rr.outcome = 'processed' AND rr.review_id IN (SELECT DISTINCT review_id FROM passages)
    GROUP BY rr.review_id
)
SELECT w.run_id, r.status, r.finished_at, r.manifest, r.manifest_sha256, r.pipeline_version, count(*) AS reviews
FROM wrote w JOIN runs r ON r.run_id = w.run_id
GROUP BY ALL ORDER BY min(r.started_at), w.run_id"""
READ_BY_SHOWN = 5
READ_BY_LABEL = "Database's reviews read by"
_HAS_TABLE = """
SELECT count(*) > 0 FROM information_schema.tables WHERE table_schema = 'main' AND table_name = ?"""

# Shown beside a search hit or report quote whose page was read by OCR.
OCR_NOTE = "read by OCR: check the words against the PDF"


def read_by_ocr_sql(alias: str) -> str:
    """SQL that is true when a page of the passage row ``alias`` (its review_id, page_start and page_end) was
    read by OCR: its words may be misread, and users are told so."""
    return (f"coalesce((SELECT bool_or(g.ocr) FROM pages g WHERE g.review_id = {alias}.review_id "
            f"AND g.page BETWEEN {alias}.page_start AND {alias}.page_end), false)")

def resolve_db(db_path: Path | str | None) -> Path:
    """The database file to use: ``db_path``, or the default (``outputs/casereview.duckdb`` or $CASEREVIEW_DB)."""
    return Path(db_path) if db_path else default_db()


def open_database(db_path: Path | str | None, upgrade: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the database read-only (full-text search loaded), upgrading its schema first if it is older.

    Parameters
    ----------
    db_path : Path, str or None
        The database file; None for the default.
    upgrade : bool
        Apply pending schema migrations first (which writes, and waits for a writer). False for a reader that
        has upgraded the database once already (``casereview serve``).

    Returns
    -------
    duckdb.DuckDBPyConnection
        A read-only connection with no access to other files; close it when done.

    Raises
    ------
    CaseReviewError
        If there is no database yet, or it is not a casereview database; ``DatabaseBusy`` if it is being written.
    """
    from pipeline.query import read_only_connection
    from pipeline.store import Store

    path = resolve_db(db_path)
    if not path.exists():
        raise CaseReviewError(no_database_message(path))
    # An older database lacks the views: Store applies any pending migration (a no-op when up to date). A
    # reader that must never write, nor wait for a writer (the web pages), passes upgrade=False.
    if upgrade:
        Store(path)
    _install_fts_once()
    con = read_only_connection(path)
    # A long query would otherwise draw a progress bar on stdout, in the middle of the command's output.
    con.execute("SET enable_progress_bar = false")
    return con


@functools.cache
def _install_fts_once() -> None:
    """Make sure the full-text-search extension is installed locally (from the wheel, never the network)."""
    from pipeline.store import _load_fts

    con = duckdb.connect(config=NO_DOWNLOADS)
    try:
        con.execute("SET autoinstall_known_extensions = false")
        if not _load_fts(con):
            log.debug("The full-text-search extension is not available.")
    finally:
        con.close()


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """True when the main schema has a table or view called ``name``."""
    return bool(con.execute(_HAS_TABLE, [name]).fetchone()[0])


# --------------------------------------------------------------------------- themes


_THEME_ID = re.compile(r"[a-z][a-z0-9_]*")


class ThemeNames(dict):
    """Theme id -> display name. A theme the taxonomy does not name (one a model trained on another taxonomy
    tags, as a user's own added theme) reads as its id in words ("online_harm" -> "Online harm"), wherever it
    is looked up, so that no output shows a bare id beside the names of the others.

    >>> names = ThemeNames({"assessment": "Assessment"})
    >>> names.get("assessment"), names.get("online_harm", "online_harm"), names["online_harm"], names.get("", "")
    ('Assessment', 'Online harm', 'Online harm', '')
    """

    def __missing__(self, key: str) -> str:
        if isinstance(key, str) and _THEME_ID.fullmatch(key):
            return key.replace("_", " ").capitalize()
        raise KeyError(key)

    def get(self, key, default=None):  # noqa: D102 - as dict.get, with names for unnamed theme ids
        try:
            return self[key]
        except KeyError:
            return default


def theme_names(con: duckdb.DuckDBPyConnection | None = None) -> ThemeNames:
    """Theme id -> display name: the taxonomy's themes in file order, then any other theme found in the database
    (and any other id looked up, see ``ThemeNames``).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection, optional
        Adds themes that are in ``passage_themes`` but not (or no longer) in the taxonomy.
    """
    names = ThemeNames(_taxonomy_names())
    if con is not None:
        for (theme,) in con.execute(_THEMES_IN_DB).fetchall():
            names.setdefault(theme, theme.replace("_", " ").capitalize())
    return names


@functools.cache
def _taxonomy_names() -> tuple[tuple[str, str], ...]:
    """The taxonomy's (id, name) pairs; none without a taxonomy file (the names then come from the ids). A file
    that is there but cannot be read is an error naming its line: read as none, every output named the themes by
    their ids and an export by name answered "unknown theme", with nothing said of the file."""
    try:
        from pipeline.themes.taxonomy import default_taxonomy_path, load_taxonomy
    except ImportError as exc:  # pragma: no cover - the themes package is part of casereview
        log.debug("No taxonomy for theme names: %s", exc)
        return ()
    if not default_taxonomy_path().is_file():
        log.debug("No taxonomy for theme names: %s is not there", default_taxonomy_path())
        return ()
    return tuple((theme.id, theme.name) for theme in load_taxonomy().themes)


def theme_name(typed: str | None, names: Mapping[str, str]) -> str:
    """The display name of the theme a person typed, however they typed it (id, name, other case or spacing);
    what they typed when it names none.

    >>> theme_name("parental_difficulties", {"parental_factors": "Parental difficulties"})
    'Parental difficulties'
    """
    theme_id = _theme_id(typed or "", names)
    return names[theme_id] if theme_id else typed or ""


def _theme_id(typed: str, names: Mapping[str, str]) -> str | None:
    """The id of the theme ``typed`` names, as its id or its name in any case and spacing; None if none."""
    wanted = plain_label(typed)
    return next((theme_id for theme_id, name in names.items() if wanted in (plain_label(theme_id), plain_label(name))),
                None)


def resolve_theme(con: duckdb.DuckDBPyConnection, theme: str) -> str:
    """Turn what a person typed (an id such as ``voice_of_child`` or a name such as ``Voice of the child``) into an id.

    Raises
    ------
    CaseReviewError
        If no theme matches; the message lists every valid id with its name.
    """
    names = theme_names(con)
    found = _theme_id(theme, names)
    if found:
        return found
    wanted = plain_label(theme)
    listing = "; ".join(f"{theme_id} ({name})" for theme_id, name in names.items()) or "none yet"
    # part of one theme's name ("voice", "legal", "multi agency"), else a close spelling ("asessment")
    typed = wanted.split("_")
    partial = [theme_id for theme_id, name in names.items()
               if all(any(word.startswith(t) for word in f"{theme_id}_{plain_label(name)}".split("_")) for t in typed)]
    close = partial if len(partial) == 1 else difflib.get_close_matches(wanted, list(names), n=1, cutoff=0.6)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise CaseReviewError(f"unknown theme '{theme}'.{hint} Valid themes: {listing}")


# --------------------------------------------------------------------------- provenance


def provenance(con: duckdb.DuckDBPyConnection, db_path: Path | str | None) -> dict[str, Any]:
    """Where an output came from, to print with it: models, the latest finished run, the date and the database.

    Returns
    -------
    dict
        ``generated_at`` (UTC, ISO 8601), ``database`` (absolute path), ``casereview_version`` (the casereview
        that made the output), ``theme_models`` and ``embedding_models`` (lists), ``run_id``,
        ``run_finished_at``, ``manifest`` and ``manifest_sha256`` of the latest finished run (None when no run
        has finished), ``reviews_read_by`` (run id -> how many of the database's reviews with text that run
        last wrote, when it finished, its manifest and checksum, and the pipeline version that extracted their
        text: the runs the rows come from, which the latest run need not be), ``pipeline_versions`` (the
        versions that extracted that text, for programs), ``note`` (what to keep in mind when using the output),
        ``real_text_note`` (how often the theme model's high probabilities came true on real sentences, when
        that is known; see :mod:`pipeline.themes.trust`), and ``checked_on_labelled_passages`` and
        ``theme_checks`` (the latest check of the model on passages labelled by hand, recorded in this
        database: one line, and a sentence per theme; see :func:`local_checks`).
    """
    run = con.execute(_LATEST_FINISHED_RUN).fetchone()
    run_id, finished_at, manifest, manifest_sha256 = run or (None,) * 4
    read_by, versions = {}, []
    for row in con.execute(_READ_BY_RUNS).fetchall():
        rid, status, ended, its_manifest, its_sha, its_version, reviews = row
        versions.append(its_version)
        when = f"finished {ended:%Y-%m-%d %H:%M} UTC" if status == "finished" and ended else status
        read_by[rid] = (f"{counted(reviews, 'review')} ({when}; manifest {its_manifest}, SHA-256 {its_sha}; "
                        f"text extracted by pipeline version {its_version})")
    theme_models = [row[0] for row in con.execute(_THEME_MODELS).fetchall()]
    trust = note_for_tags(theme_models)
    checked, checked_themes = local_checks(con, theme_models, theme_names(con))
    return {
        "generated_at": datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat(),
        "database": str(resolve_db(db_path).resolve()),
        "casereview_version": __version__,
        "theme_models": theme_models,
        "embedding_models": [row[0] for row in con.execute(_EMBEDDING_MODELS).fetchall()],
        "run_id": run_id,
        "run_finished_at": f"{finished_at:%Y-%m-%d %H:%M:%S} UTC" if finished_at else None,
        "manifest": manifest,
        "manifest_sha256": manifest_sha256,
        "reviews_read_by": read_by,
        "pipeline_versions": sorted(set(versions)),
        "note": (
            "Generated automatically. Theme tags are model predictions with probabilities, not findings: "
            "check every quote against the source review before publishing."
            + (f" {trust}" if trust else "")
        ),
        "real_text_note": trust,
        "checked_on_labelled_passages": checked,
        "theme_checks": checked_themes,
    }


def shown_time(iso: str) -> str:
    """An ISO 8601 UTC time as people read it (machine outputs keep the ISO form).

    >>> shown_time("2026-12-05T17:48:37+00:00")
    '2026-12-05 17:48:37 UTC'
    """
    return iso.replace("T", " ").removesuffix("+00:00") + " UTC"


def theme_note(theme_models: list[str], theme: str, name: str | None = None) -> str | None:
    """How the theme model did on real sentences labelled with ``theme`` (see
    :func:`pipeline.themes.trust.theme_check_note`), when the tags come from one model whose figures are known."""
    from pipeline.themes.trust import theme_check_note

    return theme_check_note(theme_models[0], theme, name) if len(set(theme_models)) == 1 else None


_LATEST_CHECK = """
SELECT check_id, recorded_at, gold_file, passages, sample, report FROM theme_checks
WHERE model_version = $1 ORDER BY recorded_at DESC, check_id LIMIT 1"""
_CHECK_SCORES = """
SELECT theme, support, tagged, left_out, precision, recall FROM theme_check_scores WHERE check_id = $1"""


def local_checks(con: duckdb.DuckDBPyConnection, theme_models: list[str],
                 names: dict[str, str] | None = None) -> tuple[str | None, dict[str, str]]:
    """How the theme model did on passages people labelled by hand and recorded in this database
    (``casereview evaluate --gold FILE --record``): one line for the whole check and one sentence per theme.

    Only when the tags come from one model and a check of that model is recorded (the latest counts);
    ``(None, {})`` otherwise. A theme marked on fewer than ten of the passages is said to be too little to go on.
    """
    from pipeline.themes.trust import CHECKED_SENTENCES

    models = set(theme_models)
    if len(models) != 1 or not has_table(con, "theme_checks"):
        return None, {}
    row = con.execute(_LATEST_CHECK, [models.pop()]).fetchone()
    if row is None:
        return None, {}
    check_id, recorded_at, gold_file, passages, sample, report = row
    core = (json.loads(report).get("macro_core") or {}) if report else {}
    where = f"{gold_file}, recorded {recorded_at:%Y-%m-%d}" + (f"; {sample}" if sample else "")
    summary = f"Checked on {counted(passages, 'passage')} labelled by hand ({where})"
    scores = con.execute(_CHECK_SCORES, [check_id]).fetchall()
    marked = sum(support for theme, support, *_ in scores if theme in (core.get("themes") or []))
    if core.get("f1") is not None and marked < CHECKED_SENTENCES:
        summary += (f": the core themes were marked on only {marked} of them, too few to say how the model's tags "
                    "hold on these reviews (label more passages: a sheet of 100 or more)")
    elif core.get("f1") is not None:
        interval = core.get("f1_interval")
        scored, of = len(core.get("themes") or []), core.get("of")
        over = "the core themes" + (f" ({scored} of {of} with passages marked)" if of and scored < of else "")
        summary += (f": over {over}, the model found on average {percent(core['recall'])} of the "
                    f"passages marked with each, and {percent(core['precision'])} of its tags were marked so "
                    f"(F1 {core['f1']:.2f}"
                    + (f", 95% interval {interval[0]:.2f}-{interval[1]:.2f}" if interval else "") + ")")
        thin = [f"{(names or {}).get(theme, theme)} (marked on {support})" for theme, support, *_ in scores
                if theme in (core.get("themes") or []) and support < CHECKED_SENTENCES]
        listed = ", ".join(thin[:-1]) + (" and " if len(thin) > 1 else "") + (thin[-1] if thin else "")
        if thin and len(thin) >= scored:
            summary += (f"; each of them was marked on too few passages to go on ({listed}), so the average is only "
                        "a rough guide")
        elif thin:
            summary += (f"; the average counts {listed}, too few on {'its' if len(thin) == 1 else 'their'} own to "
                        f"go on, so it rests mostly on the other{'' if scored - len(thin) == 1 else 's'}")
    summary += "."
    notes = {}
    for theme, support, tagged, left_out, precision, recall in scores:
        name = (names or {}).get(theme, theme)
        judged = passages - (left_out or 0)  # passages marked unsure (?) for the theme are left out of it
        # (said, so that "on 90 passages" does not read as a slip beside the 100 labelled)
        unsure = (f"; {left_out} more marked unsure, left out" if left_out else "")
        if judged <= 0:
            notes[theme] = (f"{name} was not labelled in {gold_file} (no column for it, or every passage marked "
                            "unsure): the check says nothing about it.")
        elif support < CHECKED_SENTENCES:
            notes[theme] = (f"{name}: {'none' if support == 0 else f'only {support}'} of the {judged} passages "
                            f"labelled by hand for it ({gold_file}{unsure}) were marked with it, too few to say how "
                            "its tags hold on these reviews.")
        else:
            found = f"the model found {percent(recall)} of them"
            agreed = (f"{percent(precision)} of the {tagged} passages it tagged with it were marked so" if tagged
                      else "it tagged none")
            notes[theme] = (f"{name}, on {judged} passages labelled by hand for it ({gold_file}{unsure}): {support} "
                            f"were marked with it; {found}, and {agreed}.")
    return summary, notes


def tag_notes(models: list[str], theme: str | None, names: Mapping[str, str],
              con: duckdb.DuckDBPyConnection | None = None) -> list[str]:
    """What to keep in mind about theme probabilities shown beside passages tagged by ``models``: how often high
    probabilities held on real text, and, for a ``theme`` (an id or a name), how the model did on it on real
    sentences and, given ``con``, in the check recorded in that database. Used by ``casereview search`` and
    the web pages, so both say the same."""
    notes = []
    trust = note_for_tags(models)
    if trust:
        notes.append(f"About the theme probabilities: {trust}")
    if theme and models:
        try:
            theme = resolve_theme(con, theme)
        except CaseReviewError:
            return notes
        about = theme_note(models, theme, names.get(theme))
        if about:
            notes.append(f"About this theme: {about}")
        local = local_checks(con, models, dict(names))[1].get(theme) if con is not None else None
        if local:
            notes.append(f"Checked in this database: {local}")
    return notes


def provenance_lines(info: dict[str, Any]) -> list[str]:
    """The provenance as 'label: value' lines for people."""
    return [
        f"Generated: {shown_time(info['generated_at'])} by casereview version {info['casereview_version']}",
        f"Database: {info['database']}",
        f"Theme model: {', '.join(info['theme_models']) or 'none (no themes tagged)'}",
        f"Embedding model: {', '.join(info['embedding_models']) or 'none'}",
        f"Latest finished run: {info['run_id'] or 'none'}"
        + (f" (finished {info['run_finished_at']})" if info["run_finished_at"] else ""),
        f"Manifest: {info['manifest'] or 'unknown'}, SHA-256 {info['manifest_sha256'] or 'unknown'}",
        *([read_by_line(info["reviews_read_by"])] if info.get("reviews_read_by") else []),
        info["note"],
        *([info["checked_on_labelled_passages"]] if info.get("checked_on_labelled_passages") else []),
        # for a table of one theme: how the model did on real sentences labelled with it (see theme_note), and on
        # the passages labelled by hand and recorded in this database (see local_checks)
        *([info["theme_real_text_check"]] if info.get("theme_real_text_check") else []),
        *([info["theme_local_check"]] if info.get("theme_local_check") else []),
    ]


def read_by_line(read_by: dict[str, str]) -> str:
    """'Database's reviews read by: run A: 18 reviews (...); run B: 1 review (...)', the latest few runs when
    there are many. The runs that read every review in the database, not only those an output shows."""
    runs = list(read_by.items())
    shown = "; ".join(f"run {rid}: {what}" for rid, what in runs[-READ_BY_SHOWN:])
    earlier = len(runs) - READ_BY_SHOWN
    return f"{READ_BY_LABEL}: " + (f"{counted(earlier, 'earlier run')} (the table runs lists them); "
                                  if earlier > 0 else "") + shown


# --------------------------------------------------------------------------- formatting


def pages_label(page_start: int | None, page_end: int | None, printed_start: int | None = None,
                printed_end: int | None = None) -> str:
    """'p. 3', 'p. 3–4', or 'page unknown': the pages of the PDF, as a viewer counts them. Where the document
    prints other numbers on them (a cover and a contents page before its page 1), those too.

    >>> pages_label(5, 5), pages_label(5, 6, 5, 6), pages_label(5, 5, 3, 3), pages_label(5, 6, 3, 4)
    ('p. 5', 'p. 5–6', 'p. 5 (printed as page 3)', 'p. 5–6 (printed as pages 3–4)')
    """
    if page_start is None:
        return "page unknown"
    end = page_start if page_end is None else page_end
    label = f"p. {page_start}" if end == page_start else f"p. {page_start}–{end}"
    if printed_start is None or (printed_start, printed_end) == (page_start, end):
        return label
    if printed_end is None or printed_end == printed_start:
        return f"{label} (printed as page {printed_start})"
    return f"{label} (printed as pages {printed_start}–{printed_end})"


def pages_cell(pages: str, printed: str | None) -> str:
    """The pages of a table's ``pages`` and ``printed_pages`` columns as one cell, for a Markdown table: the
    PDF's pages, and the numbers the review prints on them where those differ.

    >>> pages_cell("3–4", "1–2"), pages_cell("5", "3"), pages_cell("5", "5"), pages_cell("5", None)
    ('3–4 (printed as pages 1–2)', '5 (printed as page 3)', '5', '5')
    """
    if not printed or not isinstance(printed, str) or printed == pages:
        return pages
    return f"{pages} (printed as {'pages' if '–' in printed else 'page'} {printed})"


def printed_pages_sql(alias: str) -> str:
    """SQL for two columns, ``printed_start`` and ``printed_end``: the numbers printed on the first and last
    pages of the passage row ``alias`` (NULL where none could be trusted; see ``pipeline.pagenumbers``)."""
    return ", ".join(
        f"(SELECT g.printed FROM pages g WHERE g.review_id = {alias}.review_id AND g.page = {alias}.{column}) "
        f"AS printed_{name}" for column, name in (("page_start", "start"), ("page_end", "end")))


def percent(value: float | None, digits: int = 0) -> str:
    """A probability or share (0-1) as a percentage: 0.873 -> '87%'; never rounds to a false 0% or 100%.

    0.998 is shown as '>99%' and 0.002 as '<1%' (with ``digits`` = 0): a model is never certain.
    """
    if value is None:
        return "–"
    step = 10 ** -digits
    shown = round(100 * value, digits)
    if 0 < value < 1 and shown >= 100:
        return f">{100 - step:.{digits}f}%"
    if 0 < value < 1 and shown <= 0:
        return f"<{step:.{digits}f}%"
    return f"{shown:.{digits}f}%"


# A tag whose probability is under WEAK_TAG is a weak tag: the model rates it nearer a coin toss than a likely
# reading. Reports and the web pages mark such tags with these words, so that they do not look like strong ones.
WEAK_TAG = 0.5
WEAK_TAG_WORDS = f"under {WEAK_TAG:.0%}: a weak tag, the model is unsure this passage is about the theme"


def weak_tag(score: float | None) -> bool:
    """Whether a tag's probability is under ``WEAK_TAG`` (a tag with no probability is not called weak).

    >>> [weak_tag(v) for v in (0.45, 0.4999, 0.5, 0.97, None)]
    [True, True, False, False, False]
    """
    return score is not None and score < WEAK_TAG


def probability_text(value: float | None) -> str:
    """A model's probability for people, as a percentage that never claims certainty: a score stored as 1.0
    (rounded) is shown as '>99%', 0.0 as '<1%'. Shares and counts keep ``percent``, where 100% can be true. A
    weak tag (under ``WEAK_TAG``) never reads as 50%, which is not weak: 0.4961 is '49.6%'.

    >>> [probability_text(v) for v in (1.0, 0.9975, 0.994, 0.41, 0.4961, 0.5, 0.004, 0.0, None)]
    ['>99%', '>99%', '99%', '41%', '49.6%', '50%', '<1%', '<1%', '–']
    """
    if value is None:
        return "–"
    if value >= 0.995:
        return ">99%"
    if value < 0.005:
        return "<1%"
    if round(100 * value) >= 100 * WEAK_TAG > 100 * value:  # rounded up to the line between weak and not
        return f"{min(100 * value, 100 * WEAK_TAG - 0.1):.1f}%"
    return f"{100 * value:.0f}%"


_DISTINCT_VALUES = {
    "nation": "SELECT DISTINCT nation FROM reviews WHERE nation IS NOT NULL ORDER BY 1",
    "review_type": "SELECT DISTINCT review_type FROM reviews WHERE review_type IS NOT NULL ORDER BY 1",
    "area": "SELECT DISTINCT area FROM reviews WHERE area IS NOT NULL ORDER BY 1",
}


# What each document status means, for people (the reviews list, the review page, `casereview reviews`).
STATUS_WORDS = {"ok": "read", "failed": "could not be read", "needs_ocr": "needs OCR (no text could be read)",
                "not_processed": "not read yet"}
# Said of a review whose newest copy could not be read while the text of an earlier reading is kept (and searched,
# tagged and counted as read).
EARLIER_READING_KEPT = "the text of its earlier reading is kept, and is what is searched"


def status_words(status: str, passages: int | None) -> str:
    """What a document status means, for people, saying so when the text of an earlier reading is kept.

    >>> status_words("failed", 0), status_words("failed", 12)
    ('could not be read', 'could not be read again (the text of its earlier reading is kept, and is what is searched)')
    """
    if status == "failed" and passages:
        return f"could not be read again ({EARLIER_READING_KEPT})"
    return STATUS_WORDS.get(status, status)


AREAS_LISTED = 40  # areas named when a typed area is like none of them; there are about 150 partnerships
REVIEWS_LISTED = 10  # reviews named when the words given for one review are in the titles of several
_REVIEW_TITLES = "SELECT review_id, title FROM reviews ORDER BY review_id"
_DATABASE_FILE = "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
# A review (alias r) counts as read when it has passages: a review whose changed copy failed keeps, and is searched
# in, the text of its earlier reading. Search, findings and trends count the reviews read so.
READ_REVIEW_SQL = "EXISTS (SELECT 1 FROM passages p WHERE p.review_id = r.review_id)"
# A review with no passages: whether its document was read, and why not (no row: never fetched).
_WHY_UNREAD = f"""
SELECT coalesce(d.status, 'not read'), d.error FROM reviews r LEFT JOIN documents d USING (review_id)
WHERE r.review_id = $1 AND NOT {READ_REVIEW_SQL}"""
_UNREAD_WORDS = {"needs_ocr": "it was not read: no text could be read, it needs OCR",
                 "not read": "it was not read: its document was never fetched",
                 "ok": "it was read, but no passages were found in it"}


def why_unread(con: duckdb.DuckDBPyConnection, review_id: str) -> str | None:
    """Why the review has no passages ("it was not read (the PDF is encrypted ...)"), or None when it has some."""
    row = con.execute(_WHY_UNREAD, [review_id]).fetchone()
    if row is None:
        return None
    status, error = row
    return f"it was not read ({error})" if error else _UNREAD_WORDS.get(status, status)


_STORED_SHA = "SELECT sha256 FROM documents WHERE review_id = $1"


def stored_copy(con: duckdb.DuckDBPyConnection, review_id: str) -> Path | None:
    """The copy of the review's document in the store beside the database, or None when there is none (never
    read, or the store folder was removed or not copied with the database)."""
    from pipeline.fetch import blob_path
    from pipeline.settings import store_dir_for

    row = con.execute(_STORED_SHA, [review_id]).fetchone()
    sha = row[0] if row else None
    if not sha or not re.fullmatch(r"[0-9a-f]{64}", sha):  # never a path of any other form
        return None
    database = con.execute(_DATABASE_FILE).fetchone()[0]
    path = blob_path(store_dir_for(Path(database)), sha) if database else None
    return path if path is not None and path.is_file() else None


# The keys of the review filters (``KnownValues.review_filters``) in the order people read them.
REVIEW_FILTER_KEYS = ("year_from", "year_to", "nation", "review_type", "area", "review")


class KnownValues:
    """Checks the review filters people type (nation, review type, area, years) against the stored reviews,
    looking each list of values up once per connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self._values: dict[str, list] = {}

    def distinct(self, column: str) -> list[str]:
        if column not in self._values:
            self._values[column] = [row[0] for row in self.con.execute(_DISTINCT_VALUES[column]).fetchall()]
        return self._values[column]

    def value(self, column: str, value: str | None) -> str | None:
        """Check a nation or review type against the values the reviews have (case-insensitive)."""
        if value is None:
            return None
        known = self.distinct(column)
        if value.strip().lower() in {k.lower() for k in known}:
            return value.strip()
        label = column.replace("_", " ")
        raise CaseReviewError(
            f"no review has {label} '{value}'. The {label}s in the database are: {', '.join(known) or 'none'}"
        )

    def area(self, area: str | None) -> str | None:
        """The one area ``area`` names (as ``one_area`` finds it); if none, suggest the closest area names, or list
        the areas (the first ``AREAS_LISTED`` of them) when none is close."""
        if area is None:
            return None
        areas = self.distinct("area")
        named = one_area(area, areas)
        if named is not None:
            return named
        suggestions = closest(area, areas)
        if suggestions:
            hint = f" Closest area names: {'; '.join(suggestions)}."
        else:
            more = len(areas) - AREAS_LISTED
            hint = (f" The areas in the database are: {'; '.join(areas[:AREAS_LISTED]) or 'none'}"
                    + (f"; and {more} more (the list of reviews names them all)." if more > 0 else "."))
        raise CaseReviewError(f"no review's area contains '{area}'.{hint}")

    def review(self, review: str | None) -> str | None:
        """The id of the one review ``review`` names: its id (any case), or words found in one review's title
        ("Child H"). None when not given; a ``CaseReviewError`` listing the reviews when the words are in several
        titles, or suggesting ids like it when nothing matches."""
        wanted = wanted_text(review) or ""  # (quotation marks pasted around a title's words taken off)
        if not wanted:
            return None
        if "review_id" not in self._values:  # (id, title) pairs, looked up once per connection
            self._values["review_id"] = self.con.execute(_REVIEW_TITLES).fetchall()
        rows = self._values["review_id"]
        for review_id, _ in rows:
            if review_id.lower() == wanted.lower():
                return review_id
        # whole words of the title: "Child H" is not "Child Health"
        words = re.compile(rf"(?<!\w){re.escape(plain_quotes(wanted.lower()))}(?!\w)")
        titled = [(review_id, title) for review_id, title in rows if words.search(plain_quotes((title or "").lower()))]
        if len(titled) == 1:
            return titled[0][0]
        if titled:
            listed = "; ".join(f"{review_id} ({title})" for review_id, title in titled[:REVIEWS_LISTED])
            more = len(titled) - REVIEWS_LISTED
            raise CaseReviewError(
                f"'{wanted}' is in the titles of {len(titled)} reviews: give the id of the one you mean: {listed}"
                + (f"; and {more} more" if more > 0 else "") + ".")
        raise CaseReviewError(
            f"no review has the id '{wanted}', and no review's title contains it. "
            f"{closest_ids([wanted], [review_id for review_id, _ in rows])}Each review's id is shown in "
            f"{reviews_list_hint(self.con.execute(_DATABASE_FILE).fetchone()[0])}.")

    def named_review(self, review: str | None) -> tuple[str, str | None] | None:
        """(id, title) of the one review ``review`` names (as ``review`` finds it), for saying which it is; None
        when not given."""
        review_id = self.review(review)
        return None if review_id is None else (review_id, dict(self._values["review_id"]).get(review_id))

    def review_filters(self, year_from: int | None = None, year_to: int | None = None, nation: str | None = None,
                       review_type: str | None = None, area: str | None = None,
                       review: str | None = None) -> dict[str, Any]:
        """The review filters, checked, as SQL parameters for ``REVIEW_FILTERS`` (``review``: one review, by
        its id or words of its title, see ``review``; one with no passages, a review that could not be read, is a
        ``CaseReviewError`` saying why, since nothing in it can be found)."""
        check_years(year_from, year_to)
        filters = {"year_from": year_from, "year_to": year_to, "nation": self.value("nation", nation),
                   "review_type": self.value("review_type", review_type), "area": self.area(area),
                   "review": self.review(review)}
        if filters["review"] is not None:
            why = why_unread(self.con, filters["review"])
            if why is not None:
                title = dict(self._values["review_id"]).get(filters["review"])
                advice = ("" if why == _UNREAD_WORDS["ok"] else  # read: no advice would put it right
                          ". `casereview status` lists each review that was not read and why; once that is put "
                          "right, `casereview run` reads it")
                raise CaseReviewError(f"the review '{filters['review']}'" + (f" ({title})" if title else "")
                                      + f" has no text to look in: {why}{advice}")
        return filters


def area_key(name: str) -> str:
    """An area's name as typed names are compared with it, as ``area_folded`` does in SQL: lower case, straight
    quotes, single spaces, and "&" read as "and" (a partnership is written both ways, "Brighton & Hove" and
    "Brighton and Hove").

    >>> area_key("  Brighton &  Hove’s ")
    "brighton and hove's"
    """
    spaced = re.sub(r"[\s\u200b]+", " ", plain_quotes(name.lower())).strip()  # (Python's \s has the rest)
    return re.sub(r" ?& ?", " and ", spaced).strip()


# The spaces an area's name may hold, pasted from a web page or a document (no-break, thin, zero-width), for
# DuckDB's regular expressions, whose \s is the ASCII spaces only (area_key's Python \s has them all but the
# zero-width one).
# (the characters themselves, not \\x{...}: SQL built from REVIEW_FILTERS goes through str.format, which braces break)
_AREA_SPACES = "[\\s\u00a0\u2000-\u200b\u202f\u3000]"


def area_folded(expr: str) -> str:
    """SQL for ``expr`` as ``area_key`` gives it in Python."""
    spaced = f"trim(regexp_replace({quotes_folded(expr)}, '{_AREA_SPACES}+', ' ', 'g'))"
    return f"trim(regexp_replace({spaced}, ' ?& ?', ' and ', 'g'))"


class SeveralAreas(CaseReviewError):
    """What a person typed is part of the names of more than one area."""

    def __init__(self, typed: str, areas: list[str]) -> None:
        self.areas = areas
        super().__init__(f"'{typed.strip()}' matches several areas: {'; '.join(areas)}. Give more of the name, so "
                         "that the figures are of one area only.")


def one_area(typed: str, areas: list[str]) -> str | None:
    """The stored name of the one area a person's words name: the area of that name (any case, either quotes,
    "&" or "and"), else the only one whose name contains them; None when none does. The area filter keeps the
    reviews of that area only: "Vale" once counted Ashcombe and Vale's reviews with Carnlough Vale's, unsaid.

    >>> areas = ["Ashcombe and Vale Partnership", "Carnlough Vale Board", "Vale"]
    >>> one_area("ashcombe", areas), one_area("VALE", areas), one_area("Brent", areas)
    ('Ashcombe and Vale Partnership', 'Vale', None)
    >>> one_area("Vale ", areas[:2])
    Traceback (most recent call last):
    ...
    pipeline.outputs.common.SeveralAreas: 'Vale' matches several areas: Ashcombe and Vale Partnership; Carnlough \
Vale Board. Give more of the name, so that the figures are of one area only.
    """
    wanted = area_key(typed)
    if not wanted:
        return None
    for known in areas:
        if area_key(known) == wanted:
            return known
    # one area per spelling ("X & Y" and "X and Y" are one area): the first spelling names it
    spellings: dict[str, str] = {}
    for known in areas_containing(typed, areas):
        spellings.setdefault(area_key(known), known)
    if len(spellings) > 1:
        raise SeveralAreas(typed, list(spellings.values()))
    return next(iter(spellings.values()), None)


def areas_containing(typed: str, areas: list[str]) -> list[str]:
    """The areas whose names contain ``typed`` (any case, either quotes, "&" or "and"), as the area filter keeps
    them.

    >>> areas_containing(" northmoor", ["Northmoor Safeguarding Children Partnership", "Cwm Llwyd Board"])
    ['Northmoor Safeguarding Children Partnership']
    >>> areas_containing("brighton and hove", ["Brighton & Hove Safeguarding Children Partnership"])
    ['Brighton & Hove Safeguarding Children Partnership']
    """
    wanted = area_key(typed)
    return [known for known in areas if wanted in area_key(known)]


# Curly quotes and the straight ones they stand for, in Python (plain_quotes) and in SQL (quotes_folded).
_CURLY, _STRAIGHT = "‘’“”", "''\"\""


def plain_quotes(text: str) -> str:
    """``text`` with curly quotes made straight, as ``quotes_folded`` does in SQL.

    >>> print(plain_quotes("Child Y’s “voice”"))
    Child Y's "voice"
    """
    return text.translate(str.maketrans(_CURLY, _STRAIGHT))


def quotes_folded(expr: str) -> str:
    """SQL for ``expr`` in lower case with curly quotes made straight, to compare text people type (pasted from
    Word or a Mac: "Child Y’s voice") with text the reviews hold ("Child Y's voice"), whichever quotes each uses."""
    return f"translate(lower({expr}), '{_CURLY}', '{_STRAIGHT.replace(chr(39), chr(39) * 2)}')"


_SECTIONS = """
SELECT section, count(*) AS passages FROM passages WHERE section IS NOT NULL
GROUP BY section ORDER BY passages DESC, section LIMIT 2000"""
# A passage's headings, its own and those above it, as one text (one a line; its section where they were not
# recorded).
_HEADINGS_TEXT = "array_to_string(coalesce({alias}.headings, [{alias}.section]), chr(10))"
# "recommendation(s)" also keeps the passages v_review_recommendations takes: those under "Improving systems and
# practice", where a Welsh child practice review sets out its recommendations, and under a rapid review's "Actions
# agreed" (migrations 017 and 018).
_OTHER_RECOMMENDATIONS = ("(lower(trim({text})) IN ('recommendation', 'recommendations') "
                          "AND h.passage_id IN (SELECT passage_id FROM v_review_recommendations))")
_HAS_SECTION = (f"SELECT count(*) > 0 FROM passages h "
                f"WHERE strpos({quotes_folded(_HEADINGS_TEXT.format(alias='h'))}, {quotes_folded('$1')}) > 0 "
                f"OR {_OTHER_RECOMMENDATIONS.format(text='$1')}")
# Passages under a heading that contains the text (any case, either quotes), their own or one above it:
# "recommendation" keeps "7. Recommendations" and "For the local authority" under it. For any table or view
# with a passage_id (``alias``).
IN_SECTION_SQL = ("{alias}.passage_id IN (SELECT h.passage_id FROM passages h WHERE "
                  f"strpos({quotes_folded(_HEADINGS_TEXT.format(alias='h'))}, {quotes_folded('$section')}) > 0 "
                  f"OR {_OTHER_RECOMMENDATIONS.format(text='$section')})")


def check_section(con: duckdb.DuckDBPyConnection, section: str | None) -> str | None:
    """A ``--section`` text, tidied, when some passage is under a heading that contains it (any case).

    Raises
    ------
    CaseReviewError
        For an empty text, or one no heading contains (naming the nearest heading and the commonest).
    """
    if section is None:
        return None
    wanted = " ".join(section.split())
    if not wanted:
        raise CaseReviewError("--section is empty: give a word of the heading, e.g. --section recommendations")
    if con.execute(_HAS_SECTION, [wanted]).fetchone()[0]:
        return wanted
    headings = [heading for heading, _ in con.execute(_SECTIONS).fetchall()]  # the commonest, for the message
    hint = _heading_hint(wanted, headings)
    raise CaseReviewError(f"no passage is under a heading containing {wanted!r}.{hint} The most common headings "
                          f"are: {'; '.join(headings[:8]) or 'none'}")


def _heading_hint(wanted: str, headings: list[str]) -> str:
    """" Did you mean ...?" for a --section text no heading contains: for one word, the nearest word of the
    headings (a misspelt "findngs" is nearer "findings" than any whole heading); else the nearest heading.

    >>> _heading_hint("findngs", ["1. Introduction", "Key findings", "Finding 2: Information was not shared"])
    " Did you mean 'findings' (as in 'Key findings')?"
    """
    if len(wanted.split()) == 1:
        words: dict[str, str] = {}
        for heading in headings:
            for word in re.findall(r"[^\W\d_][\w'’-]*", heading):
                words.setdefault(word.lower(), heading)
        near = closest(wanted, list(words), n=1)
        if near and difflib.SequenceMatcher(None, wanted.lower(), near[0]).ratio() >= 0.75:
            return f" Did you mean {near[0]!r} (as in {words[near[0]]!r})?"
    close = closest(wanted, headings, n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


def ambiguous_number(typed: str) -> bool:
    """Whether ``typed`` is a number above 1 and under 100 that could mean two things without a % sign, which
    ``read_probability`` refuses: one with a fraction ("1.5", "45.5": a slip for 0.15, or a percentage?) or a whole
    number under 10 ("2": 0.2, or 2%? read as 2%, it lets nearly every tag through, while "1" is 100%).

    >>> [ambiguous_number(t) for t in ("1.5", " 45.5 ", "2", "9", "1.5%", "1", "10", "80", "80.0", "0.8", "abc")]
    [True, True, True, True, False, False, False, False, False, False, False]
    """
    try:
        value = float(typed.strip())
    except ValueError:
        return False
    return 1 < value < 100 and (not value.is_integer() or value < 10)


def read_probability(typed: str) -> float | None:
    """A probability typed in the form, from 0 to 1; a whole number above 1 and up to 100, or a number with a %
    sign, is read as a percentage (50 and 50% are 0.5); None when it is neither. A number above 1 with a
    fraction and no % sign ("1.5", "7.5") is None too: it may be a slip for 0.15 or 0.75 as much as a
    percentage, and taking it as 1.5% would list nearly every tag; so is a whole number from 2 to 9 (see
    ``ambiguous_number``).

    >>> [read_probability(t) for t in ("0.8", "80", "80%", " 45 % ", "1", "100", "0", "1.5%", "80.0", "2%", "10")]
    [0.8, 0.8, 0.8, 0.45, 1.0, 1.0, 0.0, 0.015, 0.8, 0.02, 0.1]
    >>> [read_probability(t) for t in ("150", "-1", "abc", "nan", "120%", "", "1.5", "7.5", "2")]
    [None, None, None, None, None, None, None, None, None]
    """
    text = typed.strip()
    percent = text.endswith("%")
    try:
        value = float(text.removesuffix("%").strip())
    except ValueError:
        return None
    if value != value:  # NaN
        return None
    if not percent and ambiguous_number(text):
        return None
    if percent or 1 < value <= 100:
        value /= 100
    return round(value, 6) if 0 <= value <= 1 else None


def check_years(year_from: int | None, year_to: int | None) -> None:
    """Refuse a year range that ends before it starts, or a year no review can have (before 1970, as the manifest
    allows none, or after 2999: a typing slip).

    >>> check_years(0, None)
    Traceback (most recent call last):
    ...
    pipeline.errors.CaseReviewError: 0 is not a year a review can have: give one from 1970 on (e.g. 2019)
    """
    from pipeline.manifest import MIN_YEAR

    for year in (year_from, year_to):
        if year is not None and not MIN_YEAR <= year <= 2999:
            raise CaseReviewError(f"{year} is not a year a review can have: give one from {MIN_YEAR} on (e.g. 2019)")
    if year_from is not None and year_to is not None and year_from > year_to:
        raise CaseReviewError(f"--year-from {year_from} is after --year-to {year_to}: swap them")


# The review filters as SQL on a table or view with the reviews' columns (alias r); each is switched off by NULL.
REVIEW_FILTERS = """
      ($year_from IS NULL OR r.year >= $year_from)
  AND ($year_to IS NULL OR r.year <= $year_to)
  AND ($nation IS NULL OR lower(r.nation) = lower($nation))
  AND ($review_type IS NULL OR lower(r.review_type) = lower($review_type))
  AND ($area IS NULL OR """ + area_folded("r.area") + " = " + area_folded("$area") + """)
  AND ($review IS NULL OR r.review_id = $review)"""


def tagged_clause(theme_name: str | None, min_score: float | None, worded: bool) -> str:
    """What a search asks of the theme tags, for its heading: the theme (named ``theme_name``) beside words
    (``worded``), and the lowest probability. "" when a theme alone is listed with no lowest probability (the
    heading names it already).

    >>> tagged_clause(None, 0.8, True)
    ', tagged with some theme at a probability of 0.8 or more'
    >>> tagged_clause("Assessment", None, True), tagged_clause("Assessment", None, False)
    (', tagged Assessment', '')
    >>> tagged_clause("Assessment", 0.5, False)
    ', at a probability of 0.5 or more'
    """
    if min_score is not None:
        tagged = ("" if theme_name and not worded else f" tagged {theme_name}" if theme_name
                  else " tagged with some theme")
        return f",{tagged} at a probability of {min_score:g} or more"
    return f", tagged {theme_name}" if theme_name and worded else ""


# A review whose title or id contains the text (any case, either quotes): "Child H", "cwm-llwyd". For a table or
# view with the reviews' columns (alias r) and the parameter $containing (NULL: every review).
def wanted_text(typed: str | None) -> str | None:
    """Text to look for as people type it: spaces made single, and quotation marks around the whole taken off
    (a title searched for as “Child H”, the quotes pasted with it); None when nothing is left.

    >>> wanted_text('  “Child   H” '), wanted_text('"Child H"'), wanted_text("Child Y’s"), wanted_text(' "" ')
    ('Child H', 'Child H', 'Child Y’s', None)
    """
    text = " ".join((typed or "").split())
    quoted = re.fullmatch(r"[\"“”'‘’](.*)[\"“”'‘’]", text)
    text = " ".join(quoted.group(1).split()) if quoted else text
    return text or None


TITLE_CONTAINS_SQL = ("($containing IS NULL OR strpos(" + quotes_folded("coalesce(r.title, '') || ' ' || r.review_id")
                      + ", " + quotes_folded("$containing") + ") > 0)")


def describe_filters(filters: dict[str, Any]) -> str:
    """The filters that are set, for people: 'years 2019-2022, nation Wales, area Cwm Taf Morgannwg'.

    >>> describe_filters({"year_from": 2021, "year_to": 2021}), describe_filters({"year_from": 2019, "year_to": 2022})
    ('year 2021', 'years 2019-2022')
    """
    parts = []
    if filters.get("year_from") is not None or filters.get("year_to") is not None:
        low, high = filters.get("year_from"), filters.get("year_to")
        parts.append(f"year {low}" if low is not None and low == high
                     else f"years {low}-{high}" if low is not None and high is not None
                     else f"years from {low}" if low is not None else f"years up to {high}")
    for key, label in (("nation", "nation"), ("review_type", "review type")):
        if filters.get(key) is not None:
            parts.append(f"{label} {filters[key]}")
    if filters.get("area") is not None:
        parts.append(f'area {filters["area"]}')
    if filters.get("review") is not None:
        parts.append(_the_review(filters["review"]))
    return ", ".join(parts)


def _the_review(review: str | tuple[str, str | None]) -> str:
    """The review a filter names, for people: as typed, or, given (id, title) found for it, by both.

    >>> _the_review(" Child H "), _the_review(("holmbrook-2025-child-w", "Review – Child W"))
    ('the review "Child H"', 'the review "Review – Child W" (holmbrook-2025-child-w)')
    """
    if isinstance(review, tuple):
        review_id, title = review
        return f'the review "{title}" ({review_id})' if title else f'the review "{review_id}"'
    return f'the review "{wanted_text(review)}"'


_KEPT_REVIEWS = f"""
SELECT count(*), count(*) FILTER (WHERE {READ_REVIEW_SQL}) FROM reviews r WHERE {{filters}}"""
_HELD_REVIEWS = "SELECT min(year), max(year), string_agg(DISTINCT nation, ', ' ORDER BY nation) FROM reviews"


def reviews_kept(con: duckdb.DuckDBPyConnection, filters: dict[str, Any], then: str) -> tuple[int, int]:
    """How many reviews the (checked) review filters keep, and how many of them were read; a
    ``CaseReviewError`` when filters are set and keep no review read, saying which (none kept: the years and
    nations there are; none read: where to see why), and that ``then`` ("trends can be shown") once they are
    read. Every command that counts or lists the filtered reviews answers the same way, not with a table of
    nothing ("0 findings in 0 of the 0 reviews read") or an empty file."""
    kept, read = con.execute(_KEPT_REVIEWS.format(filters=REVIEW_FILTERS), filters).fetchone()
    within = describe_filters(filters)
    if not within or read:
        return kept, read
    if not kept:
        first, last, nations = con.execute(_HELD_REVIEWS).fetchone()
        years = f"{first}–{last}" if first != last else f"{first}"
        raise CaseReviewError(f"no review is kept by the filters ({within}): the database's reviews are from "
                              f"{years}, of {nations or 'no nation'}. Try wider filters")
    one = kept == 1
    raise CaseReviewError(f"the filters ({within}) keep {counted(kept, 'review')}, and "
                          + ("it could not" if one else "none of them could") + " be read: `casereview status` "
                          "says why; once that is put right and `casereview run` has read "
                          + ("it" if one else "them") + f", {then}. Or try wider filters")


def kept_by(filters: dict[str, Any]) -> str:
    """Where a search or table looked, after the words that say what it found: the one review when that is the
    only filter, else the reviews the filters keep ("" with no filter set). The review is as typed, or (id, title)
    once found (``KnownValues.named_review``).

    >>> kept_by({"review": "Child H"}), kept_by({"nation": "Wales", "review": "Child H"})
    (' in the review "Child H"', ' in the reviews kept by the filters (nation Wales, the review "Child H")')
    >>> kept_by({"nation": None})
    ''
    """
    within = describe_filters(filters)
    if not within:
        return ""
    if all(value is None for key, value in filters.items() if key != "review"):
        return f" in {_the_review(filters['review'])}"
    return f" in the reviews kept by the filters ({within})"


# A quote is a tagged passage's best sentence for the theme; what the sentence scores on its own is said beside
# the passage's probability when it is under WEAK_QUOTE (the tag then rests on the passage as a whole, not on the
# quote) or QUOTE_GAP or more below the passage's: a reader would otherwise take the passage's probability for
# the quote's.
WEAK_QUOTE = 0.5
QUOTE_GAP = 0.2


def quote_alone(passage_score: float | None, sentence_score: float | None) -> str:
    """What a quoted sentence scores for the theme on its own, when that differs materially from its passage's
    probability ("alone it scores 69%"); "" when it does not, or is not known.

    >>> quote_alone(0.993, 0.689), quote_alone(0.9, 0.17), quote_alone(0.92, 0.87), quote_alone(0.9, None)
    ('alone it scores 69%', 'alone it scores 17%: the theme rests on the whole passage', '', '')
    >>> quote_alone(0.45, 0.449)  # the passage's one sentence, or as good as: nothing to add
    ''
    """
    if sentence_score is None or sentence_score != sentence_score:  # unknown, or NaN from a table
        return ""
    if passage_score is not None and (sentence_score >= passage_score
                                      or probability_text(sentence_score) == probability_text(passage_score)):
        return ""
    if sentence_score < WEAK_QUOTE:
        return f"alone it scores {probability_text(sentence_score)}: the theme rests on the whole passage"
    if passage_score is not None and passage_score - sentence_score >= QUOTE_GAP:
        return f"alone it scores {probability_text(sentence_score)}"
    return ""


def reviews_list_hint(db_path: Path | str | None) -> str:
    """Where a person sees every review, with its id, area and year, without SQL: ``casereview reviews``, or the
    list "The reviews" of the web page ``casereview serve`` opens (with ``--db`` when ``db_path`` is not the
    default database)."""
    from pipeline.settings import db_argument

    database = db_argument(db_path or default_db())
    return (f"`casereview reviews{database}`, or the list \"The reviews\" (at the top of each page) of the web page "
            f"that `casereview serve{database}` opens")


def closest(word: str, choices: list[str], n: int = 3, cutoff: float = 0.3) -> list[str]:
    """The choices most like ``word`` (case-insensitive), best first, at least ``cutoff`` alike (0-1)."""
    lowered = {choice.lower(): choice for choice in choices}
    found = difflib.get_close_matches(word.lower(), list(lowered), n=n, cutoff=cutoff)
    return [lowered[match] for match in found]


# Review ids share most of their letters ("-2021-child-"): only ids this alike are suggested for a mistyped one.
ID_CUTOFF = 0.75


def closest_ids(unknown: list[str], ids: list[str]) -> str:
    """The stored review ids most like each unknown one, as a sentence ("" when none is like it).

    >>> closest_ids(["northmoor-2021-child"], ["northmoor-2021-child-m", "ardmuir-2022-child-c"])
    'Closest review ids: northmoor-2021-child-m. '
    >>> closest_ids(["cwm-llwyd-2020"], ["northmoor-2021-child-m", "ardmuir-2022-child-c"])
    ''
    """
    found = list(dict.fromkeys(match for wanted in unknown for match in closest(wanted, ids, cutoff=ID_CUTOFF)))
    return f"Closest review ids: {', '.join(found)}. " if found else ""


def shorten(text: str, width: int) -> str:
    """The start of ``text`` for a quote, at most ``width`` characters, cut at a space (or at ``width`` when
    the last space comes early or there is none, as in a long web address), with " …" after it.

    >>> shorten("the child was not seen", 12), shorten("www.example.org/a/very/long/path", 10)
    ('the child …', 'www.exampl …')
    """
    if len(text) <= width:
        return text
    space = text.rfind(" ", 0, width)
    return text[: space if space > width // 2 else width] + " …"


TRAIL_MARK = " › "  # between a heading and the subheading under it
TRAIL_HEADING_CHARS = 70  # a heading above the section is shortened to this many characters


def headings_above(headings: list[str] | tuple[str, ...] | None, section: str | None,
                   width: int | None = TRAIL_HEADING_CHARS) -> str:
    """The headings a section is under, for people: outermost first, each shortened to ``width`` characters
    (None: whole) ("" when there are none).

    >>> headings_above(["5. Findings", "Finding 1: Drift", "Why this matters"], "Why this matters")
    '5. Findings › Finding 1: Drift'
    >>> headings_above(["Introduction"], "Introduction"), headings_above(None, "Findings")
    ('', '')
    """
    above = list(headings or [])
    if above and above[-1] == section:
        above.pop()
    return TRAIL_MARK.join(shorten(heading, width) if width else heading for heading in above)


def list_cell(value: Any) -> list[str] | None:
    """A list cell of a pandas data frame (DuckDB's ``VARCHAR[]``, a list or an array) as a list; None for a
    missing one (None, NaN or ``pd.NA``).

    >>> list_cell(["Findings", "Finding 1"]), list_cell(None), list_cell(float("nan"))
    (['Findings', 'Finding 1'], None, None)
    """
    return list(value) if isinstance(value, list | tuple) or hasattr(value, "tolist") else None


def section_trail(headings: list[str] | tuple[str, ...] | None, section: str | None,
                  width: int | None = TRAIL_HEADING_CHARS) -> str:
    """A passage's section after the headings it is under, for people ("" without a section); the headings
    above are shortened to ``width`` characters (None: whole, as saved tables have them).

    >>> section_trail(["Finding 1: A voluntary arrangement intended to last weeks lasted seventeen months",
    ...                "Why this matters"], "Why this matters")
    'Finding 1: A voluntary arrangement intended to last weeks lasted … › Why this matters'
    >>> section_trail(["Findings"], "Findings"), section_trail(None, None)
    ('Findings', '')
    """
    if not section:
        return ""
    above = headings_above(headings, section, width)
    return f"{above}{TRAIL_MARK}{section}" if above else section


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """``number`` with ``noun``, in the plural unless it is one: "1 review", "3 reviews", "0 passages".

    >>> counted(1, "review"), counted(3, "passage"), counted(2, "theme", "themes")
    ('1 review', '3 passages', '2 themes')
    """
    return f"{number} {noun if number == 1 else plural or noun + 's'}"
