"""The Prefect flow: it only wires the stages (fetch, extract, segment, classify, store) together.

One task per review runs in a thread pool; the fetch inside it is a task of its own (the fetcher retries what
may pass, with back-off). Every review ends in exactly one of: processed, skipped (unchanged), needs_ocr or failed,
and is written to the database in one transaction.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from prefect import flow, task
from prefect.task_runners import ThreadPoolTaskRunner

from pipeline.errors import CaseReviewError, FetchError
from pipeline.fetch import FetchedDocument, Fetcher, describe_document_problem, sweep_unused_copies
from pipeline.isolate import allow_reading, read_document, stop_reading
from pipeline.manifest import Manifest, ManifestEntry, load_manifest, unfinished_rows
from pipeline.ocr import enabled as ocr_enabled
from pipeline.runlock import one_run_at_a_time
from pipeline.segment import segment
from pipeline.server_guard import detach_temporary_server, guard_temporary_server
from pipeline.settings import store_dir_for
from pipeline.store import ReviewResult, Store


@dataclass
class RunOptions:
    """What a run needs besides the manifest."""

    db_path: Path
    # Fetched documents are kept beside the database they were read into, so that a database named with
    # --db (a partnership's own folder) keeps its documents with it rather than in the project's outputs/.
    store_dir: Path | None = None
    workers: int = 2
    theme_model: Path | None = None
    progress: bool = True
    # Called after each review is written; tests use it to stop a run midway.
    on_review_done: Callable[[str, str], None] | None = None

    def __post_init__(self) -> None:
        if self.store_dir is None:
            self.store_dir = store_dir_for(self.db_path)


# Not retried here: the fetcher retries what may pass (server errors, time-outs) with back-off, and records each
# try; a retry of the task as well made each of those tries twice, against a site already struggling.
@task(name="fetch")
def fetch_task(fetcher: Fetcher, entry: ManifestEntry, base_dir: Path) -> FetchedDocument:
    return fetcher.fetch(entry.source, base_dir=base_dir, expected_sha256=entry.sha256)


class _Skips:
    """The reviews a run skips, recorded in batches: a long manifest's re-run skips most of its reviews, and
    opening the database for each cost more than checking it (``benchmarks/rerun_scaling.py``). A batch is
    written when it holds 50 reviews, at the first skip a second or more after the last write, and when the
    run ends or is stopped (after which a review still being checked is recorded at once). A run killed
    outright loses the "skipped" lines of at most one batch from its log (and the manifest details those rows
    had edited); nothing read before is lost, and the next run checks those reviews again."""

    BATCH = 50
    SECONDS = 1.0

    def __init__(self, store: Store, run_id: str) -> None:
        self.store, self.run_id = store, run_id
        self._pending: list[tuple[ManifestEntry, str]] = []
        self._lock = threading.Lock()
        self._written = time.monotonic()
        self._closed = False

    def add(self, entry: ManifestEntry, message: str) -> None:
        with self._lock:
            self._pending.append((entry, message))
            if (self._closed or len(self._pending) >= self.BATCH
                    or time.monotonic() - self._written >= self.SECONDS):
                self._write()

    def flush(self, close: bool = False) -> None:
        with self._lock:
            self._closed = self._closed or close
            self._write()

    def _write(self) -> None:
        self.store.record_skips(self.run_id, self._pending)  # if it fails, the batch stays for the next write
        self._pending = []
        self._written = time.monotonic()


@dataclass
class _Run:
    """What every review of a run shares: where to write, and what the database already holds."""

    store: Store
    run_id: str
    unchanged: dict[str, str]  # review id -> checksum of a document that need not be read again
    skips: _Skips


@task(name="review")
def review_task(
    entry: ManifestEntry, manifest: Manifest, fetcher: Fetcher, run: _Run, tagger, progress: _Progress,
) -> str:
    """Fetch, extract, segment and classify one review, and write it: returns its outcome."""
    started = time.perf_counter()
    outcome, message = process_review(entry, manifest, fetcher, run, tagger, started)
    progress.done(entry.review_id, outcome, message)
    return outcome


def process_review(
    entry: ManifestEntry, manifest: Manifest, fetcher: Fetcher, run: _Run, tagger, started: float,
) -> tuple[str, str]:
    """The per-review work as a plain function (the task above only wraps it)."""
    store, run_id = run.store, run.run_id
    try:
        fetched = fetch_task(fetcher, entry, manifest.folder)
    except FetchError as exc:
        result = _failed(entry, str(exc), attempts=getattr(exc, "attempts", []))
        store.write_review(run_id, result, time.perf_counter() - started)
        return "failed", str(exc)
    if run.unchanged.get(entry.review_id) == fetched.sha256:
        run.skips.add(entry, "unchanged since the last run")
        return "skipped", "unchanged"
    result = _extract_and_tag(entry, fetched, tagger)
    store.write_review(run_id, result, time.perf_counter() - started)
    if result.status == "failed":
        return "failed", result.error or ""
    if result.status == "needs_ocr":
        return "needs_ocr", result.error or ""
    found = f" (the PDF linked from the web page: {fetched.final_url})" if fetched.via_page else ""
    return "processed", f"{len(result.pages)} pages, {len(result.passages)} passages{found}"


def _extract_and_tag(entry: ManifestEntry, fetched: FetchedDocument, tagger) -> ReviewResult:
    base = dict(
        entry=entry, sha256=fetched.sha256, size_bytes=fetched.size, content_kind=fetched.kind,
        fetched_at=datetime.now(UTC), attempts=fetched.attempts, theme_model=getattr(tagger, "model_version", None),
        ocr_on=ocr_enabled(),
    )
    problem = describe_document_problem(fetched)
    if problem:
        if fetched.via_page:
            problem = f"the source is a web page, and its link to a PDF ({fetched.final_url}) gave no PDF: {problem}"
        return ReviewResult(status="failed", error=f"{entry.source}: {problem}", pages=[], passages=[],
                            themes=[], **base)
    try:
        document = read_document(fetched.path)  # in a child process, stopped if it takes too long
    except CaseReviewError as exc:
        reason = str(exc).replace(fetched.path.name, entry.source, 1)
        return ReviewResult(status="failed", error=reason, pages=[], passages=[], themes=[], **base)
    except Exception as exc:  # noqa: BLE001 - one unreadable PDF must never stop the run
        reason = (f"{entry.source}: could not be read ({type(exc).__name__}: {exc}); this is a casereview bug, "
                  "please report it with the file")
        return ReviewResult(status="failed", error=reason, pages=[], passages=[], themes=[], **base)
    if document.status == "needs_ocr":
        error = f"{entry.source}: {document.needs_ocr_message()}"
        return ReviewResult(status="needs_ocr", error=error, pages=document.pages, passages=[], themes=[],
                            **base)
    try:
        passages = segment(entry.review_id, document.blocks)
        themes, embeddings, model_name = [], None, None
        if tagger is not None and passages:
            themes, embeddings, model_name = tagger(passages)
    except (CaseReviewError, duckdb.Error):
        raise  # the theme model or the database, not this document (a model changed mid-run): the run stops
    except Exception as exc:  # noqa: BLE001 - nor one whose text trips up a later stage
        reason = (f"{entry.source}: its text was read, but could not be split into passages and tagged "
                  f"({type(exc).__name__}: {exc}); this is a casereview bug, please report it with the file")
        return ReviewResult(status="failed", error=reason, pages=[], passages=[], themes=[], **base)
    empty = None if passages else (
        f"{entry.source}: no passage of text was found in its {len(document.pages)} page"
        f"{'s' if len(document.pages) != 1 else ''} (only page numbers, headers, footers or nothing at all), so "
        "nothing of this review can be searched: open the PDF to check it is the review itself, and replace it "
        "if its text is missing.")
    error = " ".join(note for note in (_page_note(fetched), document.unread_pages_message(), empty) if note) or None
    return ReviewResult(status="ok", error=error, pages=document.pages, passages=passages, themes=themes,
                        embeddings=embeddings, embedding_model=model_name, **base)


def _page_note(fetched: FetchedDocument) -> str | None:
    """Say where the text came from when the manifest's link is a web page about the review."""
    if not fetched.via_page:
        return None
    if not fetched.set_aside:
        return (f"The source is a web page; the text is from the one PDF it links to, {fetched.final_url} "
                "(put that link in the manifest to fetch it directly).")
    count = len(fetched.set_aside) + 1
    return (f"The source is a web page linking to {count} PDFs; the text is from the one taken for the review, "
            f"{fetched.final_url} (the others were taken for documents published beside it: "
            f"{'; '.join(fetched.set_aside)}). Check that it is the review and put its link in the manifest's "
            "source column to fetch it directly, or put the review's own link there if it is not.")


def _failed(entry: ManifestEntry, error: str, attempts) -> ReviewResult:
    return ReviewResult(entry=entry, status="failed", error=error, sha256=None, size_bytes=None,
                        content_kind=None, fetched_at=datetime.now(UTC), pages=[], passages=[], themes=[],
                        attempts=list(attempts))


class _Progress:
    """A progress line per review on stderr (a bar that redraws itself on a terminal)."""

    def __init__(self, total: int, enabled: bool, callback=None) -> None:
        self.total, self.count, self.enabled, self.callback = total, 0, enabled, callback
        self._lock = threading.Lock()
        self._tty = sys.stderr.isatty()

    def done(self, review_id: str, outcome: str, message: str) -> None:
        with self._lock:
            self.count += 1
            if self.enabled:
                width = 24
                filled = int(width * self.count / max(self.total, 1))
                bar = "#" * filled + "-" * (width - filled)
                line = f"[{bar}] {self.count}/{self.total} {review_id}: {outcome}"
                if outcome in ("failed", "needs_ocr"):
                    line += " (see summary)"
                print(line, file=sys.stderr, flush=True)
        if self.callback:
            self.callback(review_id, outcome)


def make_tagger(model_dir: Path | None, store: Store):
    """A function tagging one review's passages with themes (reusing cached embeddings), or None without a
    model. Passages in the review's method, terms of reference, acknowledgements and the like are not tagged
    (:mod:`pipeline.themes.sections`), and a tag is dropped when the model's review-process detector finds both
    its passage and its evidence sentence to be about how the review was done (:mod:`pipeline.themes.process`)."""
    if model_dir is None or not (model_dir / "config.json").exists():
        return None
    from pipeline.themes.errors import ThemeError
    from pipeline.themes.model import ThemeModel
    from pipeline.themes.sections import untagged_passages

    version = ThemeModel.check(model_dir)  # a broken model folder stops the run before any review is read
    loaded: list[ThemeModel] = []
    lock = threading.Lock()

    def load() -> ThemeModel:
        # built by the first review that has passages to tag: a run with nothing new saves the 2-3 s it takes
        with lock:
            if not loaded:
                model = ThemeModel.load(model_dir)
                if model.version != version:  # retrained while this run was reading: its tags would be mislabelled
                    raise ThemeError(f"{model_dir}: the theme model changed during the run (it was {version}, it "
                                     f"is now {model.version}); run again to tag with the new one")
                loaded.append(model)
        return loaded[0]

    def tag(passages):
        model = load()
        ids = [p.passage_id for p in passages]
        cached = store.cached_embeddings(ids, model.encoder_name)
        tags, embeddings = model.tag_passages(passages, embeddings=cached or None, drop_review_process=True)
        skipped = untagged_passages(passages)
        tags = [t for t in tags if t.passage_id not in skipped]
        new = {pid: vec for pid, vec in embeddings.items() if pid not in cached}
        return tags, new, model.encoder_name

    tag.model_version = version  # recorded per document: a run with another model re-tags it
    return tag


def run_pipeline(manifest_path: Path, options: RunOptions) -> dict:
    """Run the whole pipeline over a manifest and return the run summary (a dict, see ``Store.finish_run``)."""
    manifest = load_manifest(manifest_path)
    store = Store(options.db_path)
    with one_run_at_a_time(options.db_path, manifest_path):  # a second run of the database stops here
        return _run_locked(manifest, store, options)


def _run_locked(manifest: Manifest, store: Store, options: RunOptions) -> dict:
    allow_reading()  # an earlier run in this process may have been stopped
    detach_temporary_server()  # Prefect's temporary server is stopped by the run, not by Ctrl+C
    # Expected failures (a missing file, a 404) are reported in the run summary with what to do; Prefect's
    # own log of them would print tracebacks that read like crashes.
    for name in ("prefect.task_runs", "prefect.flow_runs"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    tagger = make_tagger(options.theme_model, store)
    return _pipeline_flow.with_options(task_runner=ThreadPoolTaskRunner(max_workers=options.workers))(
        manifest, store, options, tagger
    )


# How long a stopped run waits for the reviews it was working on, so that its record counts them: a review being
# written finishes in well under a second, and a document being read in a reading process, or downloaded, is given
# up at once (a download at its next chunk, or when a silent server's time-out passes). A document read in the
# run's own process may take longer: the record is written without it, and the run still waits for it before it
# exits (Prefect's task runner does), then saves it whole.
STOP_WAIT_SECONDS = 15.0


def _wait_for_running(futures: list, seconds: float) -> None:
    """Wait, at most ``seconds``, for the reviews under way to finish or give up, so that the run's record counts
    every review it saved. What a review ended with is not raised here (a second Ctrl+C ends the wait)."""
    import concurrent.futures

    running = [f.wrapped_future for f in futures if getattr(f, "wrapped_future", None) is not None]
    deadline = time.monotonic() + seconds
    while True:
        try:
            concurrent.futures.wait(running, timeout=max(0.0, deadline - time.monotonic()))
            return
        except KeyboardInterrupt:  # a second Ctrl+C: stop waiting (the run is still marked interrupted)
            return
        except BaseException:  # noqa: BLE001 - SIGTERM again (Prefect raises its TerminationSignal): keep waiting
            continue


def _sweep_store(store: Store, store_dir: Path) -> tuple[int, int]:
    """Delete the document store's copies of earlier versions of changed PDFs (``sweep_unused_copies``) after
    a finished run; (copies, bytes). Never fails the run: a store that cannot be swept now is swept later."""
    try:
        return sweep_unused_copies(store_dir, store.document_checksums())
    except Exception as exc:  # noqa: BLE001 - tidying up only
        logging.getLogger(__name__).warning("Could not tidy the document store %s: %s", store_dir, exc)
        return 0, 0


@flow(name="casereview-run", log_prints=False, validate_parameters=False)
def _pipeline_flow(manifest: Manifest, store: Store, options: RunOptions, tagger) -> dict:
    started = time.perf_counter()
    guard_temporary_server()  # a run killed outright does not leave Prefect's temporary server running
    run_id = store.start_run(manifest.path, manifest.checksum())
    claimed = store.claimed_elsewhere(manifest.path, manifest.entries)  # read before this run replaces them
    unchanged = store.unchanged_documents(getattr(tagger, "model_version", None), ocr_on=ocr_enabled())
    other_version = store.read_by_other_versions()  # read again whatever else: the summary says why
    run = _Run(store, run_id, unchanged, _Skips(store, run_id))
    progress = _Progress(len(manifest.entries), options.progress, options.on_review_done)
    futures = []
    try:
        with Fetcher(options.store_dir) as fetcher:
            futures = [
                review_task.submit(entry, manifest, fetcher, run, tagger, progress)
                for entry in manifest.entries
            ]
            for future in futures:
                future.wait()
            run.skips.flush()
            for future in futures:
                future.result()
        from pipeline.search import rebuild_search

        # Built now, while the run holds the database, so the first search after a run does not build them.
        rebuild_search(store)
    except BaseException:
        # Ctrl+C, a SIGTERM (which Prefect turns into its own exception) or an unexpected error: reviews not
        # started are not started, documents being read are given up (neither saved nor recorded as failed),
        # and reviews being written finish (each in one transaction, so none is left half-written) before the
        # run is marked interrupted. The next search rebuilds the index, which then holds what this run wrote.
        stop_reading()
        for future in futures:
            wrapped = getattr(future, "wrapped_future", None)
            if wrapped is not None:
                wrapped.cancel()
        try:
            _wait_for_running(futures, STOP_WAIT_SECONDS)
            run.skips.flush(close=True)
            store.finish_run(run_id, status="interrupted")
        except Exception:  # noqa: BLE001 - the database may be what failed; the next run marks it instead
            logging.getLogger(__name__).warning("Could not mark run %s as interrupted; the next run will.", run_id)
        raise
    summary = store.finish_run(run_id)
    summary["store_swept"] = _sweep_store(store, options.store_dir)
    summary["manifest_note"] = manifest.encoding_note
    summary["unfinished"] = [entry.review_id for entry in unfinished_rows(manifest)]
    summary["read_again_for_version"] = len(other_version & store.processed_in_run(run_id))
    summary["not_in_manifest"] = store.reviews_not_in([entry.review_id for entry in manifest.entries])
    summary["replaced_from_elsewhere"] = store.replaced_by_other_documents(run_id, claimed, manifest.path)
    summary["seconds"] = round(time.perf_counter() - started, 1)
    summary["run_id"] = run_id
    return summary
