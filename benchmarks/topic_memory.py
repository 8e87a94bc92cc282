"""Peak memory of a topic fit, phase by phase, at several corpus sizes: what grows with the number of passages.

Builds databases from a copy of outputs/casereview.duckdb (the original is not changed): the demo's passages
once, and N times for each N of ``--copies`` (default 10: 6,130 passages for the demo's 613; ``--copies 33 163``
gives 20,229 and 99,919 as well). Each copy of a review is a new
review with new passage ids and the same texts; each copied passage's embedding lies up to half way from the
original's to that of one of its ten nearest neighbours, moved by a little seeded noise, so that copies fill the
space between passages instead of piling up on them. The copies repeat the demo's words, so a real corpus of that
size has a larger vocabulary than these (what depends on the vocabulary is understated).

Each database is fitted as `casereview topics fit` does (``fit_topics``, seed 42) in a fresh Python process, which
records its resident memory (RSS) from ``/proc/self/status``: for each phase the RSS when it starts and its peak
(the kernel's high-water mark, reset when a phase starts), and the peak of the whole process. "imports" is what
importing BERTopic, UMAP, HDBSCAN, scikit-learn and plotly costs before any passage is read; it does not grow
with the corpus. Phases inside others are indented; a phase that runs more than once (HDBSCAN on a leaf refit,
the label of each topic) shows its highest peak and its total time. The parent samples the memory of the fitting
process and of any worker processes it starts (PSS, every 0.05 s, as ``run_memory.py`` does). A fit that fails
(for example when no topics stand out) is reported as failed, with its memory until then, and the others go on.

Prints a table per size, then the peaks at each larger size against the demo's, the peak above the imports, and
their ratios.
``--baseline CHECKOUT`` also fits the same corpora with another checkout of the project (for example one from
before a change; ``git archive COMMIT pipeline | tar -x -C FOLDER`` makes one), in the same run, and prints its
figures beside these and whether both stored the same topics, assignments and files.

Linux only (reads and resets ``/proc/self``'s memory counters).

Usage:  .venv/bin/python benchmarks/topic_memory.py [--db PATH] [--copies N [N ...]] [--baseline CHECKOUT]
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_memory import SAMPLE_SECONDS, _kilobytes, tree  # noqa: E402 - a script beside this one

ROOT = Path(__file__).resolve().parent.parent
NEIGHBOURS = 10  # a copy's embedding lies between the original's and one of its nearest neighbours
NOISE = 0.1  # of each embedding dimension's spread across the demo's passages
_KB = re.compile(r"^(VmRSS|VmHWM):\s+(\d+) kB", re.MULTILINE)


# --------------------------------------------------------------------------- the corpora


def scaled_database(source: Path, target: Path, copies: int, seed: int = 7) -> int:
    """Copy ``source`` to ``target`` and add ``copies - 1`` copies of its reviews and passages; return the passages.

    A copy's embedding (for every encoder stored) lies part of the way from the original's to that of one of its
    nearest neighbours, moved by a little seeded noise: copies fill the space between passages rather than piling
    up on them (tight piles of near-copies would be clusters of their own, and too small to be topics).
    """
    shutil.copy(source, target)
    rng = np.random.default_rng(seed)
    with duckdb.connect(str(target)) as con:
        con.execute("CREATE TEMP TABLE original_reviews AS SELECT * FROM reviews")
        con.execute("CREATE TEMP TABLE original_passages AS SELECT * FROM passages")
        encoders = [row[0] for row in con.execute(
            "SELECT DISTINCT model FROM passage_embeddings ORDER BY 1").fetchall()]
        stored = {encoder: con.execute("SELECT passage_id, vector FROM passage_embeddings WHERE model = ? AND "
                                       "passage_id IN (SELECT passage_id FROM passages) ORDER BY passage_id",
                                       [encoder]).fetchnumpy() for encoder in encoders}
        neighbours = {encoder: _nearest(np.stack(found["vector"])) for encoder, found in stored.items()}
        for copy in range(1, copies):
            suffix = f"~{copy}"
            con.execute("INSERT INTO reviews BY NAME SELECT * REPLACE (review_id || $1 AS review_id) "
                        "FROM original_reviews", [suffix])
            con.execute("INSERT INTO passages BY NAME SELECT * REPLACE (passage_id || $1 AS passage_id, "
                        "review_id || $1 AS review_id) FROM original_passages", [suffix])
            for encoder, found in stored.items():
                vectors = _between_neighbours(np.stack(found["vector"]), neighbours[encoder], rng)
                con.execute("INSERT INTO passage_embeddings SELECT unnest($1) || $2, $3, unnest($4)",
                            [list(found["passage_id"]), suffix, encoder, vectors.tolist()])
        return con.execute("SELECT count(*) FROM passages").fetchone()[0]


def _nearest(vectors: np.ndarray) -> np.ndarray:
    """The ``NEIGHBOURS`` nearest other vectors of each (cosine), by row number."""
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    similarity = unit @ unit.T
    np.fill_diagonal(similarity, -np.inf)
    return np.argsort(-similarity, axis=1, kind="stable")[:, :NEIGHBOURS]


def _between_neighbours(vectors: np.ndarray, nearest: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """For each vector, a point up to half way to one of its nearest neighbours, moved by a little noise, at unit
    length."""
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    chosen = nearest[np.arange(len(unit)), rng.integers(0, nearest.shape[1], len(unit))]
    share = rng.uniform(0.0, 0.5, (len(unit), 1)).astype(np.float32)
    moved = (1 - share) * unit + share * unit[chosen]
    moved += rng.normal(scale=NOISE * unit.std(axis=0), size=unit.shape).astype(np.float32)
    return moved / np.linalg.norm(moved, axis=1, keepdims=True)


# --------------------------------------------------------------------------- measuring one fit (child process)


def _memory_kb() -> dict[str, int]:
    with open("/proc/self/status", encoding="ascii") as status:
        return {name: int(kb) for name, kb in _KB.findall(status.read())}


class PhaseMemory:
    """Peak RSS of named phases of one process, nested phases included in their parents' peaks."""

    def __init__(self) -> None:
        self.phases: dict[str, dict[str, float]] = {}
        self.peak_kb = _memory_kb()["VmHWM"]
        self._open: list[list] = []  # [name, peak kB so far] of the phases running now, outermost first

    def _fold_peak(self) -> None:
        """Give the high-water mark since the last reset to every open phase, then start a new one."""
        high = _memory_kb()["VmHWM"]
        self.peak_kb = max(self.peak_kb, high)
        for running in self._open:
            running[1] = max(running[1], high)
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")  # resets VmHWM to the current RSS

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Record the phase under its path (``parent/name``), so that UMAP in the fit and UMAP in the topic map
        are two phases; one that runs again under the same parents keeps its highest peak."""
        self._fold_peak()
        start_kb = _memory_kb()["VmRSS"]
        running = [name, start_kb]
        path = "/".join([*(phase[0] for phase in self._open), name])
        seen = self.phases.setdefault(path, {"depth": len(self._open), "calls": 0, "seconds": 0.0,
                                             "start": start_kb, "peak": 0, "end": start_kb})
        self._open.append(running)
        started = time.perf_counter()
        try:
            yield
        finally:
            seconds = time.perf_counter() - started
            self._fold_peak()
            self._open.pop()
            seen["calls"] += 1
            seen["seconds"] += seconds
            if running[1] > seen["peak"]:
                seen.update(peak=running[1], start=start_kb)
            seen["end"] = _memory_kb()["VmRSS"]

    def wrap(self, owner: object, attribute: str, name: str) -> None:
        """Make ``owner.attribute`` (a function or method) a phase; nothing when this version has no such thing."""
        original = getattr(owner, attribute, None)
        if original is None:
            return

        @functools.wraps(original)
        def measured(*args, **kwargs):
            with self.phase(name):
                return original(*args, **kwargs)

        setattr(owner, attribute, measured)


def measure_fit(db: Path, out_dir: Path) -> dict:
    """Fit ``db``'s topics as ``casereview topics fit`` does, recording the memory of each phase."""
    memory = PhaseMemory()
    started_kb = _memory_kb()["VmRSS"]
    with memory.phase("imports (BERTopic, UMAP, HDBSCAN, scikit-learn, plotly)"):
        import hdbscan
        import plotly.graph_objects  # noqa: F401 - imported by the pictures; counted with the other imports
        import umap

        from pipeline import topics
        from pipeline.errors import CaseReviewError
        from pipeline.settings import quiet_third_parties

        # as the fit imports BERTopic (a checkout from before pipeline.topics._bertopic imports it plainly)
        model = topics._bertopic().BERTopic if hasattr(topics, "_bertopic") else importlib.import_module(
            "bertopic").BERTopic
    quiet_third_parties()
    for owner, attribute, name in (
        (topics, "_read_corpus", "read passages and embeddings"),
        (topics, "names_in", "find names (kept out of terms)"),
        (topics, "_fit", "cluster, reduce outliers, terms, labels"),
        (model, "fit_transform", "BERTopic fit_transform"),
        (umap.UMAP, "fit_transform", "UMAP"),
        (hdbscan.HDBSCAN, "fit", "HDBSCAN"),
        (model, "_extract_topics", "c-TF-IDF terms"),
        (model, "_save_representative_docs", "representative documents"),
        (model, "reduce_outliers", "reduce_outliers (nearest topic)"),
        (model, "update_topics", "c-TF-IDF terms again (update_topics)"),
        (topics, "_label", "labels"),
        (topics, "_save_model", "save the model (safetensors)"),
        (topics, "_store_fit", "store the tables"),
        (topics, "write_visualisations", "HTML pictures (plotly)"),
    ):
        memory.wrap(owner, attribute, name)
    fitted: dict = {}  # what the fit chose, known before it finishes (and so also for a fit that fails)
    make_version = topics.make_model_version

    def model_version(passage_ids, settings):
        fitted.update(passages=len(passage_ids), settings=settings,
                      model_version=make_version(passage_ids, settings))
        return fitted["model_version"]

    topics.make_model_version = model_version
    error = None
    with memory.phase("fit_topics"):
        try:
            info = topics.fit_topics(db, seed=42, out_dir=out_dir)
        except CaseReviewError as failed:  # for example no topics stand out: its memory until then still counts
            error, info = str(failed), None
    memory._fold_peak()
    settings = fitted["settings"]
    # min_samples: HDBSCAN's, where this checkout records it apart from the min topic size
    return {"passages": fitted["passages"], "topics": info.topics if info else 0,
            "model_version": fitted["model_version"], "error": error, "min_topic_size": settings.min_topic_size,
            "min_samples": getattr(settings, "min_samples", settings.min_topic_size),
            "python_kb": started_kb, "peak_kb": memory.peak_kb, "phases": memory.phases}


# --------------------------------------------------------------------------- the report (parent process)


def run_child(checkout: Path, db: Path, out_dir: Path) -> dict:
    """``measure_fit`` in a fresh Python process that imports the project from ``checkout``; while it runs, the
    memory of its process tree (it and any workers it starts) is sampled every 0.05 s as PSS, as in
    ``run_memory.py``."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen([sys.executable, __file__, "--child", str(db), str(out_dir)], env=env,
                                   cwd=checkout, stdout=out, stderr=err, text=True)
        peak_tree = processes = 0
        while process.poll() is None:
            pids = tree(process.pid)
            processes = max(processes, len(pids))
            peak_tree = max(peak_tree, sum(_kilobytes(f"/proc/{pid}/smaps_rollup", "Pss:") for pid in pids))
            time.sleep(SAMPLE_SECONDS)
        out.seek(0)
        err.seek(0)
        if process.returncode:
            raise SystemExit(f"the fit of {db.name} with {checkout} failed (exit {process.returncode}):\n{err.read()}")
        figures = json.loads(out.read().strip().splitlines()[-1])
    state = "no fit stored" if figures["error"] else fitted_state(db, out_dir)
    return {**figures, "tree_kb": peak_tree, "processes": processes, "state": state}


def fitted_state(db: Path, out_dir: Path) -> str:
    """A digest of what the newest fit in ``db`` stored (topics, terms, labels, sizes, every passage's topic and
    closeness, the representatives) and of the files it wrote under ``out_dir`` (the settings file, which holds
    the time of the fit, aside)."""
    digest = hashlib.sha256()
    with duckdb.connect(str(db), read_only=True) as con:
        version = con.execute("SELECT model_version FROM topic_models ORDER BY fitted_at DESC LIMIT 1").fetchone()
        for sql in ("SELECT topic_id, label, terms, size FROM topics WHERE model_version = ? ORDER BY 1",
                    "SELECT passage_id, topic_id, probability FROM passage_topics WHERE model_version = ? ORDER BY 1",
                    "SELECT topic_id, rank, passage_id FROM topic_representatives WHERE model_version = ? "
                    "ORDER BY 1, 2"):
            digest.update(repr(con.execute(sql, list(version)).fetchall()).encode())
    for path in sorted(out_dir.rglob("*")):
        if path.is_file() and path.name != "settings.json":
            digest.update(str(path.relative_to(out_dir)).encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def _mb(kb: float) -> str:
    return f"{kb / 1024:,.0f}"


def print_phases(label: str, figures: dict) -> None:
    print(f"\n{label}: {figures['passages']:,} passages, {figures['topics']} topics ({figures['model_version']}; "
          f"min topic size {figures['min_topic_size']}, HDBSCAN min_samples {figures['min_samples']})")
    if figures["error"]:
        print(f"FAILED (its memory until then is below): {figures['error']}")
    print(f"{'phase':<58} {'calls':>5} {'seconds':>8} {'RSS at start MB':>16} {'peak MB':>8} {'peak - start':>13}")
    print(f"{'python and the project (before the imports)':<58} {'':>5} {'':>8} {'':>16} "
          f"{_mb(figures['python_kb']):>8}")
    for name, phase in figures["phases"].items():
        indented = "  " * int(phase["depth"]) + name.rpartition("/")[2]
        print(f"{indented:<58} {phase['calls']:>5.0f} {phase['seconds']:>8.1f} {_mb(phase['start']):>16} "
              f"{_mb(phase['peak']):>8} {_mb(phase['peak'] - phase['start']):>13}")
    print(f"{'whole process':<58} {'':>5} {'':>8} {'':>16} {_mb(figures['peak_kb']):>8}")
    print(f"{'process tree, PSS sampled (' + str(figures['processes']) + ' processes at most)':<58} {'':>5} {'':>8} "
          f"{'':>16} {_mb(figures['tree_kb']):>8}")


def _after_imports(figures: dict) -> float:
    imports = next(iter(figures["phases"].values()))
    return figures["peak_kb"] - imports["end"]


def print_summary(name: str, small: dict, large: dict) -> None:
    ratio = large["passages"] / small["passages"]
    print(f"{name}: peak {_mb(small['peak_kb'])} MB at {small['passages']:,} passages, {_mb(large['peak_kb'])} MB "
          f"at {large['passages']:,} (x{large['peak_kb'] / small['peak_kb']:.2f} for x{ratio:.1f} the passages); "
          f"above the imports {_mb(_after_imports(small))} and {_mb(_after_imports(large))} MB "
          f"(x{_after_imports(large) / _after_imports(small):.2f}); process tree {_mb(small['tree_kb'])} and "
          f"{_mb(large['tree_kb'])} MB (x{large['tree_kb'] / small['tree_kb']:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "outputs" / "casereview.duckdb",
                        help="database to copy and scale (default: the demo one)")
    parser.add_argument("--copies", type=int, nargs="+", default=[10],
                        help="the larger corpora: this many copies of the passages, one corpus for each number")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="another checkout of the project to measure on the same databases, for comparison")
    parser.add_argument("--child", nargs=2, type=Path, metavar=("DB", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure_fit(*args.child)))
        return
    if not args.db.exists():
        raise SystemExit(f"{args.db} not found: run the demo first (see the README) or give --db")
    sizes = sorted({1, *args.copies})
    checkouts = {"this checkout": ROOT, **({f"baseline ({args.baseline})": args.baseline} if args.baseline else {})}
    results = {}
    with tempfile.TemporaryDirectory(prefix="topic-memory-") as tmp:
        folder = Path(tmp)
        for copies in sizes:
            started = time.perf_counter()
            corpus = folder / f"x{copies}.duckdb"
            passages = scaled_database(args.db, corpus, copies)
            print(f"database x{copies}: {passages:,} passages, built in {time.perf_counter() - started:.1f} s")
            for number, (name, checkout) in enumerate(checkouts.items()):
                db = folder / f"x{copies}-{number}.duckdb"  # each checkout fits its own copy
                shutil.copy(corpus, db)
                results[name, copies] = run_child(checkout.resolve(), db, folder / f"topics-x{copies}-{number}")
        for (name, copies), figures in results.items():
            print_phases(f"{name}, x{copies}", figures)
    print()
    for name in checkouts:
        for copies in sizes[1:]:
            print_summary(name, results[name, 1], results[name, copies])
    if args.baseline:
        for copies in sizes:
            now, before = results["this checkout", copies], results[f"baseline ({args.baseline})", copies]
            same = ("the same topics, assignments and files" if now["state"] == before["state"]
                    else "DIFFERENT topics, assignments or files")
            same += "".join(f"; {name} FAILED" for name, fit in (("this checkout", now), ("the baseline", before))
                            if fit["error"])
            print(f"x{copies}: peak {_mb(now['peak_kb'])} MB against the baseline's {_mb(before['peak_kb'])} MB "
                  f"(x{now['peak_kb'] / before['peak_kb']:.2f}), process tree {_mb(now['tree_kb'])} against "
                  f"{_mb(before['tree_kb'])} MB; {same}")


if __name__ == "__main__":
    main()
