"""The ``casereview`` command: every user-facing command, with help written for non-programmers.

Heavy libraries (Prefect, torch, DuckDB) are imported inside the commands so ``--help`` answers at once.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from pipeline import __version__
from pipeline.commands.options import DB_OPTION, UserPath
from pipeline.errors import CaseReviewError
from pipeline.settings import (
    db_argument,
    default_db,
    models_dir,
    no_database_message,
    quiet_third_parties,
    store_dir_for,
)


class _Group(click.Group):
    """Prints user errors as one clear line (no traceback) and exits with status 2."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CaseReviewError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(2)
        except OSError as exc:  # a file that could not be read or written, where no command said more
            if exc.filename is None:
                raise
            click.echo(f"Error: {exc.filename}: {(exc.strerror or str(exc)).lower()}. Check the file or folder name, "
                       "that you may read and write there, and that the file is not open in another program.",
                       err=True)
            sys.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="casereview")
def main() -> None:
    """Find the lessons in child safeguarding case reviews.

    casereview reads the review PDFs listed in a manifest (a spreadsheet saved as CSV), pulls out their
    text page by page, splits it into passages, tags the learning themes each passage is about, and keeps
    everything in a database you can search.

    \b
    Start with:  casereview run --manifest corpus_manifest/demo.csv
    Then:        casereview serve       (search the reviews in your web browser)
    """
    quiet_third_parties()


@main.command()
@click.option("--manifest", "manifest_path", type=UserPath(exists=True, dir_okay=False, path_type=Path),
              default=Path("corpus_manifest/demo.csv"), show_default=True,
              help="The manifest (CSV) listing the reviews to process.")
@DB_OPTION
@click.option("--workers", type=click.IntRange(1, 16), default=2, show_default=True,
              help="How many reviews to work on at once.")
@click.option("--model", "model_dir", type=UserPath(file_okay=False, path_type=Path), default=None,
              help="Theme model folder (default: models/themes-v1). Use --no-themes to skip tagging.")
@click.option("--no-themes", is_flag=True, help="Do not tag themes (faster; passages only).")
@click.option("--quiet", is_flag=True, help="No progress lines, just the summary.")
@click.option("--document-time-limit", "minutes", type=click.FloatRange(min=0), default=None, metavar="MINUTES",
              help="Stop reading a document after this many minutes and record it as failed, so that one file "
                   "cannot hold up the run (default 30, or $CASEREVIEW_DOCUMENT_SECONDS given in seconds; "
                   "0: no limit).")
def run(manifest_path: Path, db_path: Path | None, workers: int, model_dir: Path | None, no_themes: bool,
        quiet: bool, minutes: float | None) -> None:
    """Process every review in a manifest and store the results.

    Each review is fetched (web link or file), its text extracted page by page, split into passages and
    tagged with themes, then saved in one step: if the run is stopped, no review is left half-saved.
    Running again skips reviews whose file has not changed, so it is safe to repeat.
    A review that cannot be read (a broken or password-protected PDF, a scanned one while OCR is off or not
    installed, a web page instead of a PDF, a missing file) is recorded with the reason; it never stops the
    run. Scanned pages are read by OCR, and said to be.

    Example:  casereview run --manifest corpus_manifest/demo.csv
    """
    if minutes is not None:  # read by pipeline.isolate, and passed on to the process that reads each document
        os.environ["CASEREVIEW_DOCUMENT_SECONDS"] = f"{minutes * 60:g}"
    model = None if no_themes else (model_dir or models_dir() / "themes-v1")
    db = db_path or default_db()
    stops = _Stops()
    try:
        from pipeline.flow import RunOptions, run_pipeline

        options = RunOptions(db_path=db, workers=workers, theme_model=model, progress=not quiet)
        summary = run_pipeline(manifest_path, options)
    except KeyboardInterrupt:
        _stopped(stops)
    except BaseException as exc:
        if stops.signal is not None:  # what a stop broke: a library stopped while it loaded, Prefect's own stop
            _stopped(stops)
        if not isinstance(exc, Exception) or not _disk_full(exc):
            raise
        raise CaseReviewError(
            f"the disk is full, so the run stopped ({db} or the document store in {store_dir_for(db)} "
            "could not be written). The reviews saved before it are whole and nothing is half-written: free some "
            "space (or give --db a file on another disk) and run the same command again; finished reviews are "
            "skipped.") from None
    finally:
        stops.restore()
    click.echo(format_summary(summary, options.db_path))
    _note_unfinished_rows(manifest_path, summary.get("unfinished") or [])


def _note_unfinished_rows(manifest_path: Path, unfinished: list[str]) -> None:
    """Say when the manifest still holds values `manifest from-folder` put in for ones it could not find
    (``unfinished``: those rows' review ids, from the run's summary): the run stores them as they are, and
    summaries and trends go by area and year."""
    if unfinished:
        ids = ", ".join(unfinished[:5]) + (f" and {len(unfinished) - 5} more" if len(unfinished) > 5 else "")
        click.echo(f"Note: {len(unfinished)} review{'s' if len(unfinished) != 1 else ''} in {manifest_path} still "
                   f"{'have' if len(unfinished) != 1 else 'has'} an area or year that `manifest from-folder` could "
                   f"not find and put in for now ({ids}); summaries and trends go by area and year. Fill them in "
                   f"(`casereview manifest check {shlex.quote(str(manifest_path))}` lists them) and run again.")


def _stopped(stops: _Stops) -> NoReturn:
    click.echo("\nStopped. The reviews saved before the stop are whole, and nothing is half-written; run the "
               "same command again to finish (saved reviews are skipped).", err=True)
    sys.exit(128 + (stops.signal or signal.SIGINT))  # 130 for Ctrl+C, 143 for SIGTERM, as shells report them


def _disk_full(exc: BaseException) -> bool:
    """Whether ``exc``, or an error it came from, is the disk running out of space (as DuckDB or the OS says).

    >>> import errno
    >>> try:
    ...     try:
    ...         raise OSError(errno.ENOSPC, "No space left on device")
    ...     except OSError as low:
    ...         raise RuntimeError("Failed to commit") from low
    ... except RuntimeError as high:
    ...     print(_disk_full(high), _disk_full(RuntimeError("another failure")))
    True False
    """
    import errno

    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or "No space left on device" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


class _Stops:
    """While a run goes: a polite request to stop (SIGTERM: `kill`, a scheduler's time-out; SIGHUP: the terminal
    was closed) is taken as Ctrl+C, so that the run stops the same tidy way, recording itself as interrupted and
    stopping Prefect's temporary server, instead of leaving both behind. ``signal`` is the one that came (None
    while none has)."""

    def __init__(self) -> None:
        import threading

        self.signal: int | None = None
        self._previous: dict[int, Any] = {}
        if threading.current_thread() is threading.main_thread():
            for name in ("SIGINT", "SIGTERM", "SIGHUP"):
                # a signal ignored when the run started stays ignored: `nohup casereview run` must outlive the
                # terminal, and a run started in the background by a script must not stop at Ctrl+C
                if hasattr(signal, name) and signal.getsignal(getattr(signal, name)) is not signal.SIG_IGN:
                    number = getattr(signal, name)
                    self._previous[number] = signal.signal(number, self._interrupt)

    def _interrupt(self, signum, frame):
        first = self.signal is None
        self.signal = self.signal or signum
        if first or signum == signal.SIGINT:  # a second Ctrl+C ends the wait for reviews being written
            raise KeyboardInterrupt

    def restore(self) -> None:
        for number, previous in self._previous.items():
            signal.signal(number, previous)
        self._previous = {}


NOT_IN_MANIFEST_SHOWN = 10


def format_summary(summary: dict, db_path: Path) -> str:
    """The end-of-run summary people read."""
    lines = [
        "",
        f"Run {summary.get('run_id', '')} finished in {summary.get('seconds', 0)} s",
        f"  reviews processed: {summary.get('reviews_processed', 0)}",
        f"  reviews skipped (unchanged): {summary.get('reviews_skipped', 0)}",
        f"  reviews failed or needing OCR: {summary.get('reviews_failed', 0)}",
        f"  pages read: {summary.get('pages', 0)}   passages stored: {summary.get('passages', 0)}",
    ]
    again = summary.get("read_again_for_version") or 0
    if again:
        lines.append(f"  read again because an earlier version of casereview had read {'it' if again == 1 else 'them'}:"
                     f" {again} (this version reads or tags text differently; each is read again once)")
    if summary.get("manifest_note"):
        lines.append(f"  manifest: {summary['manifest_note']}")
    problems = summary.get("problems") or []
    if problems:
        from pipeline.outputs.common import EARLIER_READING_KEPT

        lines.append("  problems:")
        lines.extend(f"    - {p['review_id']}: {p['message']}"
                     + (f" ({EARLIER_READING_KEPT})" if p.get("keeps_earlier_version") else "") for p in problems)
    notes = summary.get("notes") or []
    if notes:
        lines.append("  notes (pages read by OCR or not read, PDFs found on web pages, documents with no text):")
        lines.extend(f"    - {n['review_id']}: {n['message']}" for n in notes)
    updated = summary.get("details_updated") or []
    if updated:
        from pipeline.store import DETAILS_UPDATED

        lines.append("  details updated from the manifest (the text was not read again; its figures now count "
                     "under the new details):")
        lines.extend(f"    - {u['review_id']}: {u['message'].split(DETAILS_UPDATED, 1)[-1]}" for u in updated)
    replaced = summary.get("replaced_from_elsewhere") or []
    if replaced:
        lines.append("  replaced reviews of the same id read from another manifest (if they are different reviews, "
                     "give one of them another review_id in its manifest, and run both manifests again):")
        lines.extend(f"    - {row['review_id']}: was {row['source']} (from {row['manifest']}), now {row['new_source']}"
                     for row in replaced)
    lines.extend(_same_document_lines(summary.get("same_documents") or [], "  "))
    swept, swept_bytes = summary.get("store_swept") or (0, 0)
    if swept:
        lines.append(f"  document store: deleted {swept} cop{'y' if swept == 1 else 'ies'} of earlier versions of "
                     f"changed documents, unused for a day ({swept_bytes / 1e6:.1f} MB)")
    db = db_argument(db_path)
    others = summary.get("not_in_manifest") or []
    if others:
        shown = ", ".join(others[:NOT_IN_MANIFEST_SHOWN]) + (
            f" and {len(others) - NOT_IN_MANIFEST_SHOWN} more" if len(others) > NOT_IN_MANIFEST_SHOWN else "")
        lines.append(f"  in the database but not in this manifest (kept, and still searched and counted; "
                     f"`casereview remove{db} REVIEW_ID` removes one): {shown}")
    lines.append(f"Database: {db_path}   (try: casereview serve{db} to search it in your browser, casereview "
                 f"status{db}, casereview sql{db} \"SELECT ...\")")
    return "\n".join(lines)


@main.command()
@click.argument("pdf", type=UserPath(exists=True, dir_okay=False, path_type=Path))
def extract(pdf: Path) -> None:
    """Print the passages of one PDF as JSON lines, in reading order (no database needed).

    Each line is {"text", "page_start", "page_end", "printed_start", "printed_end", "section", "headings"}: pages
    as a PDF viewer counts them, the numbers printed on those pages where they can be trusted (else null), and
    the headings the passage is under, outermost first, its section last.

    Example:  casereview extract corpus_manifest/demo/northmoor-2016-child-d.pdf
    """
    from pipeline.extract import extract_pdf
    from pipeline.filekinds import describe_given_file
    from pipeline.segment import segment

    not_pdf = describe_given_file(pdf)  # (the run's wording speaks of the manifest, which extract has none of)
    if not_pdf:
        raise CaseReviewError(f"{pdf}: {not_pdf}")
    document = extract_pdf(pdf)
    if document.status == "needs_ocr":
        raise CaseReviewError(f"{pdf}: {document.needs_ocr_message()}")
    unread = document.unread_pages_message()
    if unread:
        click.echo(f"{pdf}: {unread}", err=True)
    printed = {page.number: page.printed for page in document.pages}
    from pipeline.manifest import readable_form

    for passage in segment(readable_form(pdf.stem), document.blocks):
        record = {"text": passage.text, "page_start": passage.page_start, "page_end": passage.page_end,
                  "printed_start": printed.get(passage.page_start), "printed_end": printed.get(passage.page_end),
                  "section": passage.section, "headings": list(passage.headings)}
        click.echo(json.dumps(record, ensure_ascii=False))


@main.command()
@DB_OPTION
def status(db_path: Path | None) -> None:
    """Show what is in the database: reviews by status, passages, and what failed and why.

    Example:  casereview status
    """
    from pipeline.store import Store

    path = db_path or default_db()
    if not path.exists():
        raise CaseReviewError(no_database_message(path))
    click.echo(format_status(Store(path).summary(), path))


def format_status(summary: dict, path: Path) -> str:
    from pipeline.outputs.common import EARLIER_READING_KEPT
    from pipeline.runlock import can_tell, run_in_progress

    lines = [f"Database: {path}"]
    for key, value in summary.items():
        if key in ("failures", "last_run", "same_documents", "read_by_earlier_version", "theme_checks"):
            continue
        if isinstance(value, dict):
            value = ", ".join(f"{count} {name}" for name, count in value.items())
        lines.append(f"  {key.replace('_', ' ').replace('ocr', 'OCR')}: {value}")
    last = summary.get("last_run")
    if last:
        finished = last.get("finished_at")
        when = f"{last.get('status')}, {finished:%Y-%m-%d %H:%M} UTC" if finished else "not finished"
        if last.get("status") == "running":
            holder = run_in_progress(path)
            when = ("running now, so far" if holder is not None and not holder.get("command") else
                    "stopped before it finished, without saying so – its process was killed, or the computer "
                    "stopped – and the next run records it as interrupted; so far" if can_tell(path) else
                    "running, or stopped without saying so; so far")
        lines.append(
            f"  last run: {last.get('run_id')} ({when}): "
            f"{last.get('reviews_processed') or 0} processed, {last.get('reviews_skipped') or 0} skipped, "
            f"{last.get('reviews_failed') or 0} failed or needing OCR"
        )
    earlier = summary.get("read_by_earlier_version") or 0
    if earlier:
        lines.append(f"  read by an earlier version of casereview: {earlier} document{'s' if earlier != 1 else ''} "
                     "(the next `casereview run` with their manifest reads them again, as this version does)")
    checks = summary.get("theme_checks") or []
    for check in checks[:3]:
        lines.append(f"  theme model checked on labelled passages: {check['gold_file']}, {check['passages']} passages, "
                     f"model {check['model_version']}, recorded {check['recorded_at']:%Y-%m-%d %H:%M} UTC")
    if len(checks) > 3:
        lines.append(f"  ... and {len(checks) - 3} earlier checks (SELECT * FROM theme_checks)")
    failures = summary.get("failures") or []
    if failures:
        lines.append("Documents that could not be read:")
        lines.extend(f"  - {f['review_id']} [{f['status']}]: {f['error']}"
                     + (f" ({EARLIER_READING_KEPT})" if f.get("keeps_earlier_version") else "") for f in failures)
    lines.extend(_same_document_lines(summary.get("same_documents") or [], ""))
    return "\n".join(lines)


def _same_document_lines(groups: list[dict], indent: str) -> list[str]:
    """Say which reviews hold the same file, and what to do: each is counted in searches, trends and reports.

    ``indent`` is put before the heading line, and two more spaces before each group."""

    if not groups:
        return []
    heading = ("the same document under more than one review_id (its passages are found and counted once for "
               "each: if that is a mistake, correct the source of all but one in the manifest, or take their rows out "
               "of it and `casereview remove` them):")
    lines = [indent + (heading if indent else heading[0].upper() + heading[1:])]
    for group in groups:
        manifests = group.get("manifests") or [""] * len(group["review_ids"])
        named = len(set(manifests)) > 1  # lines of different manifests: say whose line each is
        rows = [(f"{rid} (line {line} of {Path(manifest).name})" if named and manifest else
                 f"{rid} (manifest line {line})") if line else rid
                for rid, line, manifest in zip(group["review_ids"], group["manifest_lines"], manifests, strict=True)]
        lines.append(f"{indent}  - {', '.join(rows)}")
    return lines


@main.command()
@click.argument("review_ids", nargs=-1, required=True, metavar="REVIEW_ID...")
@DB_OPTION
@click.option("--yes", "-y", is_flag=True, help="Do not ask before removing.")
def remove(review_ids: tuple[str, ...], db_path: Path | None, yes: bool) -> None:
    """Remove reviews from the database: their text, themes and topics, so no search, export, trend or report
    counts them any more.

    A review dropped from the manifest stays in the database until it is removed (the run summary lists
    such reviews). The copy of its PDF the database was read from is deleted from the document store
    beside the database; copies of earlier versions of a changed PDF are deleted by the first run to finish a
    day after they were last used. Runs' logs keep what happened to it. To
    have it back, put it in the manifest and run.

    \b
    Examples:
      casereview remove northmoor-2021-child-m
      casereview remove a-2020 c-2021 --yes
    """
    from pipeline.fetch import remove_copies
    from pipeline.outputs.common import closest_ids, reviews_list_hint
    from pipeline.runlock import changing_the_database
    from pipeline.search import refresh_search
    from pipeline.store import Store

    path = db_path or default_db()
    if not path.exists():
        raise CaseReviewError(f"{path}: no database yet: nothing to remove")
    store = Store(path)
    stored = {rid.lower(): rid for rid in store.reviews_not_in([])}  # an id typed in any case is that review's
    wanted = list(dict.fromkeys(stored.get(rid.strip().lower(), rid) for rid in review_ids))
    found = store.reviews(wanted)
    unknown = [rid for rid in wanted if rid not in {r["review_id"] for r in found}]
    if unknown:
        raise CaseReviewError(
            f"{path} has no review {', '.join(repr(u) for u in unknown)}: nothing was removed. "
            f"{closest_ids(unknown, store.reviews_not_in([]))}Each review's id is shown in "
            f"{reviews_list_hint(path)}.")
    for review in found:
        click.echo(f"  {review['review_id']}: {review['title']} ({review['area']}, {review['year']}), "
                   f"{review['passages']} passage{'s' if review['passages'] != 1 else ''}")
    count = len(found)
    with changing_the_database(path, "casereview remove", "remove them"):  # no run starts meanwhile
        if not yes and not _confirmed(f"Remove {'this review' if count == 1 else f'these {count} reviews'} "
                                      f"from {path}, and {'its' if count == 1 else 'their'} PDF copies from "
                                      f"{store_dir_for(path)}?"):
            click.echo("Nothing removed.")
            return
        listed_in = _manifests_listing(store, wanted)
        _, checksums = store.remove_reviews(wanted)
        copies = remove_copies(store_dir_for(path), checksums)
        refreshed = refresh_search(path)
        click.echo(f"Removed {count} review{'s' if count != 1 else ''}"
                   + (f", and {'its' if count == 1 else 'their'} PDF{'s' if copies != 1 else ''} from the document "
                      f"store {store_dir_for(path)}" if copies else "") + "." + (
            "" if refreshed else " The search index could not be rebuilt now (the database is busy); the next "
            "search or run rebuilds it."))
    for manifest_path, lines in listed_in:
        one = len(lines) == 1
        click.echo(f"Still listed in {manifest_path} ({'; '.join(lines)}): take {'that line' if one else 'those lines'}"
                   f" out, or the next run of that manifest reads {'it' if one else 'them'} again.")


def _confirmed(question: str) -> bool:
    """The answer to a yes/no question (no by default); no answer at all (input that ends, as in a script, or
    Ctrl+C) is a ``CaseReviewError`` saying how to go without asking."""
    try:
        return click.confirm(question, default=False)
    except click.exceptions.Abort:
        raise CaseReviewError("nothing was removed: no answer came (to remove without being asked, as in a "
                              "script, pass --yes)") from None


def _manifests_listing(store, review_ids: list[str]) -> list[tuple[str, list[str]]]:
    """The manifests earlier runs read these reviews from that still list them, each with the lines
    ("line 5, northmoor-2021-child-m"): removing a review does not change its manifest."""
    from pipeline.errors import ManifestError
    from pipeline.manifest import load_manifest

    with store.connect(read_only=True) as con:
        # the full path the run read it at (runs before migration 020 have only the path as typed)
        paths = [row[0] for row in con.execute(
            "SELECT coalesce(r.manifest_path, r.manifest) AS path FROM runs r JOIN run_reviews rr USING (run_id) "
            "WHERE rr.review_id IN (SELECT unnest($1::VARCHAR[])) GROUP BY path ORDER BY max(r.started_at) DESC",
            [review_ids]).fetchall()]
    found = []
    seen: set[Path] = set()
    for manifest_path in paths:
        try:
            resolved = Path(manifest_path).resolve()
            if resolved in seen:  # (a run before migration 020 named it as typed, a later one in full)
                continue
            seen.add(resolved)
            entries = load_manifest(Path(manifest_path)).entries
        except (ManifestError, OSError, RuntimeError):
            continue  # moved, deleted or broken since: nothing to say about it
        lines = [f"line {e.line}, {e.review_id}" for e in entries if e.review_id in review_ids]
        if lines:
            found.append((_shown_path(manifest_path), lines))
    return found


def _shown_path(path: str) -> str:
    """A path as short as it can be said from here: relative to this folder when it is under it."""
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path


@main.command()
@click.argument("query")
@DB_OPTION
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True,
              help="How to print the rows.")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True,
              help="Show at most this many rows (table; csv, json and --out give every row).")
@click.option("--out", "out", type=UserPath(dir_okay=False, path_type=Path), default=None,
              help="Save the rows as a table instead: .csv (opens in Excel, with a .provenance.json beside it) or "
                   ".xlsx (with a Provenance sheet).")
def sql(query: str, db_path: Path | None, fmt: str, limit: int, out: Path | None) -> None:
    """Run a read-only SQL query against the database and print the rows.

    The database cannot be changed from here. Tables and views are listed in the README.

    \b
    Examples:
      casereview sql "SELECT review_id, title, year FROM reviews ORDER BY year"
      casereview sql "SELECT * FROM v_review_findings" --out findings.xlsx
    """
    from pipeline.query import run_read_only

    path = db_path or default_db()
    if path.exists():
        from pipeline.store import Store

        Store(path)  # a database made by an older casereview gets its pending migrations (new views) first
    frame = run_read_only(path, query)
    if out is not None:
        _save_rows(frame, query, path, out)
        return
    if fmt == "json":
        for record in frame.to_dict(orient="records"):
            click.echo(json.dumps({key: _json_value(value) for key, value in record.items()}, ensure_ascii=False,
                                  default=str))
    elif fmt == "csv":
        click.echo(_flat_lists(frame).to_csv(index=False), nl=False)
    else:
        if frame.empty:
            columns = f" (columns: {', '.join(map(str, frame.columns))})" if len(frame.columns) else ""
            click.echo(f"No rows{columns}.")
            return
        with _wide_pandas():
            click.echo(_table_text(frame.head(limit)))
        if len(frame) > limit:
            click.echo(f"... {len(frame) - limit} more rows (use --limit or --format csv)")


def _flat_lists(frame):
    """The rows with each list cell (a review's themes) written "a; b; c", as a spreadsheet cell shows it, and
    times with a time zone given in UTC without one (Excel cannot hold a time zone)."""
    import numpy as np
    import pandas as pd

    flat = frame.copy()
    for column in flat.columns:
        if isinstance(flat[column].dtype, pd.DatetimeTZDtype):
            flat[column] = flat[column].dt.tz_convert("UTC").dt.tz_localize(None)
        elif flat[column].dtype == object and any(isinstance(v, list | tuple | np.ndarray) for v in flat[column]):
            flat[column] = ["; ".join(map(str, v)) if isinstance(v, list | tuple | np.ndarray) else v
                            for v in flat[column]]
    return flat


def _save_rows(frame, query: str, db_path: Path, out: Path) -> None:
    """``sql --out``: the rows as CSV or Excel, with the query and database they came from."""
    import datetime

    from pipeline.outputs.tables import write_csv, write_xlsx

    suffix = out.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise CaseReviewError(f"--out {out.name}: give a file name ending in .csv or .xlsx")
    info = {"query": query, "database": str(Path(db_path).resolve()), "rows": len(frame),
            "generated_at": datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat(),
            "casereview_version": __version__}
    table = _flat_lists(frame)
    if suffix == ".csv":
        where = f"in {write_csv(table, info, out, describe=False).name}"
    else:
        write_xlsx(table, info, out, "Rows", {}, [], describe=False)
        where = "on the sheet Provenance"
    click.echo(f"Wrote {out}: {len(frame)} row{'s' if len(frame) != 1 else ''} (the query and database are {where}).")


def _json_value(value):
    """A cell as JSON takes it: a missing value (NaN, NaT, NA) as null, a time in ISO 8601, a list as a list.

    >>> import pandas as pd
    >>> [_json_value(v) for v in (float("nan"), pd.NaT, pd.Timestamp("2024-04-18 09:30"), 3, "x")]
    [None, None, '2024-04-18T09:30:00', 3, 'x']
    """
    import numpy as np
    import pandas as pd

    if isinstance(value, list | tuple | np.ndarray):
        return [_json_value(item) for item in value]
    if isinstance(value, dict):
        return {key: _json_value(item) for key, item in value.items()}
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _table_text(frame) -> str:
    """The rows as a plain-text table, every missing value shown as NULL (pandas writes None, NaN or <NA>
    depending on the column's type).

    >>> import pandas as pd
    >>> print(_table_text(pd.DataFrame({"a": ["x", None], "n": pd.array([1, None], dtype="Int64")})))
       a    n
       x    1
    NULL NULL
    """
    import pandas as pd

    frame = frame.copy()
    for column in frame.columns:
        values = frame[column]
        # na_rep covers NaN in float columns only: None in text columns and <NA> in Int64 ones are written as such
        text_or_extension = values.dtype == object or isinstance(values.dtype, pd.api.extensions.ExtensionDtype)
        if text_or_extension and values.isna().any():
            frame[column] = values.astype(object).where(values.notna(), "NULL")
    return frame.to_string(index=False, na_rep="NULL")


def _wide_pandas():
    import pandas as pd

    return pd.option_context("display.max_colwidth", 80, "display.width", 200, "display.max_columns", 30)


@main.group()
def manifest() -> None:
    """Make and check manifests (the CSV listing the reviews to process)."""


@manifest.command("check")
@click.argument("path", type=UserPath(exists=True, dir_okay=False, path_type=Path))
def manifest_check(path: Path) -> None:
    """Check a manifest and list every problem with its line and column.

    Example:  casereview manifest check corpus_manifest/demo.csv
    """
    from pipeline.manifest import (
        FOLDER,
        LINKED_IN_A_LOOP,
        SPECIAL_FILE,
        UNOPENABLE,
        files_that_are_not_pdfs,
        load_manifest,
        missing_files,
        repeated_sources,
        rows_to_check,
        web_address_meant,
    )
    from pipeline.sharelinks import opens_a_page, sharing_service

    loaded = load_manifest(path)
    count = len(loaded.entries)
    click.echo(f"{path}: {count} review{'s' if count != 1 else ''}, no problems found")
    if loaded.encoding_note:
        click.echo(f"Note: {loaded.encoding_note}")
    repeated = repeated_sources(loaded.entries)
    if repeated:
        click.echo("Note: some sources are listed on more than one line; each line would be stored as a review of "
                   "its own, so the document would be found and counted twice. Keep one line for each document:")
        for source, lines in repeated:
            shown = [str(line) for line in lines]
            click.echo(f"  - lines {', '.join(shown[:-1])} and {shown[-1]}: {source}")
    missing = missing_files(loaded)
    if missing:
        click.echo(f"Note: {len(missing)} file{'s' if len(missing) != 1 else ''} named in the source column "
                   f"{'are' if len(missing) != 1 else 'is'} not there (paths are relative to the manifest's folder); "
                   "a run records such reviews as failed:")
        for entry, near in missing:
            meant = web_address_meant(entry.source)
            not_files = {FOLDER: "that is a folder: name the PDF inside it",
                         SPECIAL_FILE: "that is a named pipe or a device, not a file: name the PDF itself",
                         LINKED_IN_A_LOOP: "a symbolic link that leads round in a loop to itself: name the PDF itself",
                         UNOPENABLE: "the system cannot open it: check the name and its folders (a name too "
                                     "long, a folder that is a file) and that it may be read"}
            hint = (f" ({not_files[near]})" if near in not_files else
                    f" (there is {near}: is that it?)" if near else
                    f" (a web address without https:// in front? write {meant})" if meant else "")
            click.echo(f"  - line {entry.line}, {entry.review_id}: {entry.source}{hint}")
    others = files_that_are_not_pdfs(loaded)
    if others:
        click.echo(f"Note: {len(others)} file{'s' if len(others) != 1 else ''} named in the source column "
                   f"{'are not PDFs' if len(others) != 1 else 'is not a PDF'}; a run records such reviews as "
                   "failed. Open each and save it as a PDF (a web page: download the review PDF it links to), "
                   "then put that file's name in the source column:")
        for entry, kind in others:
            click.echo(f"  - line {entry.line}, {entry.review_id}: {entry.source} is {kind}")
    shared = [(entry, sharing_service(entry.source)) for entry in loaded.entries
              if entry.is_url() and opens_a_page(entry.source)]
    if shared:
        click.echo(f"Note: {len(shared)} source{'s are links' if len(shared) != 1 else ' is a link'} to a file-sharing "
                   "service that opens a page showing the file (and may ask to sign in), not the PDF; a run records "
                   "such reviews as failed. Download each PDF and put its file name in the source column:")
        for entry, service in shared:
            click.echo(f"  - line {entry.line}, {entry.review_id}: {entry.source} ({service})")
    slips = rows_to_check(loaded)
    if slips:
        click.echo("Note: some values are allowed but look wrong or unfinished; a run takes them as they are:")
        for entry, what in slips:
            click.echo(f"  - line {entry.line}, {entry.review_id}: {what}")


@manifest.command("from-folder")
@click.argument("folder", type=UserPath(exists=True, file_okay=False, path_type=Path))
@click.option("--out", "out", type=UserPath(dir_okay=False, path_type=Path), default=None,
              help="Where to write the manifest (default: FOLDER/manifest.csv).")
@click.option("--add-new", "add_new", is_flag=True,
              help="Keep the manifest that is there as it is (your corrections too) and add a row for each PDF "
                   "in the folder it does not list yet.")
@click.option("--force", is_flag=True, help="Replace the manifest if it exists (corrections made to it are lost).")
def manifest_from_folder_command(folder: Path, out: Path | None, add_new: bool, force: bool) -> None:
    """Write a manifest for a folder of PDFs you already have.

    Titles, years, areas, nations and review types are filled from each PDF's own details, its cover page
    (the partnership named there and a date such as "March 2022") and its file name; anything guessed is
    said so in the notes column. Open the CSV in a spreadsheet to check and correct it.

    When more PDFs arrive later, --add-new adds rows for them and keeps the rows you have corrected.

    \b
    Examples:
      casereview manifest from-folder ~/reviews --out ~/reviews/manifest.csv
      casereview manifest from-folder ~/reviews --add-new
    """
    from pipeline.manifest import (
        add_new_pdfs,
        drop_copies,
        load_manifest,
        manifest_from_folder,
        readable_form,
        write_manifest,
    )

    target = out or folder / "manifest.csv"
    if add_new and force:
        raise CaseReviewError("--add-new keeps the manifest's rows and --force replaces them: give one of them")
    if add_new:
        if not target.exists():
            raise CaseReviewError(f"{readable_form(str(target))} is not there yet, so there is nothing to add to: run "
                                  "the same command without --add-new to write it"
                                  + ("" if out else " (or give the manifest's file with --out)"))
        additions = add_new_pdfs(folder, load_manifest(target))
        if additions.added:
            write_manifest(additions.entries, target, overwrite=True)
            guessed = sum(1 for e in additions.added if e.notes)
            count, kept = len(additions.added), len(additions.entries) - len(additions.added)
            click.echo(f"Added {count} review{'s' if count != 1 else ''} to {readable_form(str(target))} "
                       f"({guessed} with guessed fields: check the notes column); "
                       + (f"its other {kept} rows are as they were:" if kept != 1 else
                          "its other row is as it was:"))
            for entry in additions.added:
                click.echo(f"  + line {entry.line}, {entry.review_id}: {entry.source}")
        else:
            click.echo(f"Nothing to add: {readable_form(str(target))} lists every PDF in {folder}, so it was not "
                       "changed.")
        _echo_copies(additions.copies)
        if additions.gone:
            click.echo(f"Still listed, but the file is not there any more ({len(additions.gone)}): a run records "
                       "each as failed. If a review was taken out on purpose, delete its line; if its file was "
                       "renamed, put the new name in the source column.")
            for entry in additions.gone:
                click.echo(f"  - line {entry.line}, {entry.review_id}: {entry.source}")
        _echo_not_listed(folder)
        return
    if target.exists() and not force:
        raise CaseReviewError(
            f"{readable_form(str(target))} already exists and was not changed. To add the PDFs it does not list yet "
            "and keep its rows (your corrections too), pass --add-new; to replace it, --force; or choose another "
            "file with --out.")
    entries, copies = drop_copies(manifest_from_folder(folder, manifest_path=target))
    write_manifest(entries, target, overwrite=force)
    guessed = sum(1 for e in entries if e.notes)
    click.echo(f"Wrote {readable_form(str(target))}: {len(entries)} review{'s' if len(entries) != 1 else ''} "
               f"({guessed} with guessed "
               "fields: check the notes column)")
    _echo_copies([(copy, original.source) for copy, original in copies])
    _echo_not_listed(folder)


def _echo_copies(copies: list) -> None:
    """Name the files ``manifest from-folder`` left out as copies of another (``(entry, source it copies)``)."""
    if copies:
        click.echo(f"Left out {len(copies)} file{'s' if len(copies) != 1 else ''} identical to another one listed "
                   "(a review listed twice would be counted twice):")
        for copy, original in copies:
            click.echo(f"  - {copy.source} (the same file as {original})")


def _echo_not_listed(folder: Path) -> None:
    """Name the files in ``folder`` that ``manifest from-folder`` cannot list: PDFs with names this system cannot
    read, and documents in another form than PDF."""
    from pipeline.manifest import documents_not_pdf, unreadable_names

    odd = unreadable_names(folder)
    if odd:
        click.echo(f"Not listed: {len(odd)} PDF{'s' if len(odd) != 1 else ''} whose name{'s' if len(odd) != 1 else ''} "
                   "this system cannot read as text (saved on an older system, or copied from a Windows share). "
                   "Rename each (retyping the accented letters is enough), then run this command again with "
                   "--add-new:")
        for name in odd:
            click.echo(f"  - {name}")
    others = documents_not_pdf(folder)
    if others:
        click.echo(f"Not listed: {len(others)} document{'s' if len(others) != 1 else ''} in another form than PDF "
                   "(only PDFs are read). If one is a review, open it and save it as a PDF in the folder (a ZIP: "
                   "unzip it), then run this command again with --add-new:")
        for path in others:
            click.echo(f"  - {path.relative_to(folder).as_posix()}")


def _attach_commands() -> None:
    """Commands that live in their own modules (themes, topics, search and outputs)."""
    from pipeline.commands import outputs, themes, topics

    for command in (themes.classify, themes.evaluate, themes.train, topics.topics):
        main.add_command(command)
    outputs.add_output_commands(main)


_attach_commands()

if __name__ == "__main__":
    main()
