"""Paths and defaults, overridable by environment variables (the CLI's options set these too)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.abc import MetaPathFinder
from pathlib import Path

from pipeline import __version__

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Bump when extraction, segmentation or classification changes output: a re-run then reprocesses documents.
PIPELINE_VERSION = f"{__version__}+p35"
USER_AGENT = f"casereview/{__version__} (+https://github.com/casereview/casereview; case-review text mining)"


# Every DuckDB connection is opened with this: DuckDB would otherwise fetch an extension it knows from the
# network the moment a file needs one (a SQLite file given as --db asks for sqlite_scanner at connect time).
NO_DOWNLOADS = {"autoinstall_known_extensions": False}


def outputs_dir() -> Path:
    return Path(os.environ.get("CASEREVIEW_OUTPUTS", PROJECT_ROOT / "outputs"))


def store_dir_for(db_path: Path | str) -> Path:
    """The document store of a database, beside it and its own: ``store`` for a database named
    ``casereview.duckdb`` (``outputs/store`` for the default one), ``NAME-store`` for ``NAME.duckdb``. Two
    databases in one folder never share a store, so removing a review from one never takes a copy the other
    needs."""
    db_path = the_file_itself(db_path)
    return db_path.parent / ("store" if db_path.name == "casereview.duckdb" else f"{db_path.stem}-store")


def topics_dir_for(db_path: Path | str) -> Path:
    """Where a database's topic models and pictures go, beside it and its own, as its document store is:
    ``topics`` for a database named ``casereview.duckdb``, ``NAME-topics`` for ``NAME.duckdb`` (two databases in
    one folder wrote their topic pictures over each other's).

    >>> topics_dir_for("outputs/casereview.duckdb"), topics_dir_for("partnership/reviews.duckdb")
    (PosixPath('outputs/topics'), PosixPath('partnership/reviews-topics'))
    """
    db_path = the_file_itself(db_path)
    return db_path.parent / ("topics" if db_path.name == "casereview.duckdb" else f"{db_path.stem}-topics")


def the_file_itself(path: Path | str) -> Path:
    """The path as given, or, where a symbolic link lies on it, the file it leads to: a database named through
    a link is the same database, with the same run lock and document store, as the one named directly.

    >>> the_file_itself("outputs/casereview.duckdb")
    PosixPath('outputs/casereview.duckdb')
    """
    path = Path(path)
    real = os.path.realpath(path)
    return path if real == os.path.abspath(path) else Path(real)


def default_db() -> Path:
    return Path(os.environ.get("CASEREVIEW_DB", outputs_dir() / "casereview.duckdb"))


def db_argument(db_path: Path) -> str:
    """`` --db PATH`` when ``db_path`` is not the database the commands use by default, so that a command
    suggested to the person looks at the database they are using; else nothing."""
    import shlex

    try:
        if Path(db_path).resolve() == default_db().resolve():
            return ""
    except OSError:
        pass
    return f" --db {shlex.quote(str(db_path))}"


def no_database_message(db_path: Path) -> str:
    """What to say when the database file is not there: run the pipeline, or, for a database named with
    ``--db`` or ``CASEREVIEW_DB``, check the name first (a mistyped path is likelier than a missing run)."""
    db = db_argument(db_path)
    if not db:
        named = " (the file CASEREVIEW_DB names: check that name)" if os.environ.get("CASEREVIEW_DB") else ""
        return (f"{db_path}: no database yet{named}: run `casereview run --manifest YOUR_MANIFEST.csv` first (it "
                "reads the reviews your manifest lists into this database)")
    near = _database_like(Path(db_path))
    hint = f" Did you mean {near}?" if near else ""
    return (f"{db_path}: no database there.{hint} Check the file name given with --db (or in CASEREVIEW_DB); "
            f"to make it, run `casereview run --manifest YOUR_MANIFEST.csv{db}`")


def _database_like(db_path: Path) -> Path | None:
    """The database beside ``db_path`` of its name (``closest_file``), with ``.duckdb`` added where it was left
    out ("mine" for "mine.duckdb"); None when there is none."""
    from pipeline.files import closest_file

    wanted = db_path if db_path.suffix == ".duckdb" else db_path.with_name(db_path.name + ".duckdb")
    close = closest_file(wanted)
    if not close or not close.endswith(".duckdb") or wanted.with_name(close) == db_path:
        return None
    return wanted.with_name(close)


def not_duckdb_message(db_path: Path) -> str | None:
    """What to say when ``db_path`` holds a file that is not a DuckDB database (None when it is one or is not
    there). DuckDB is not asked to open such a file: it would try to load a reader for it.

    A DuckDB file has "DUCK" at bytes 8-11 of its header."""
    try:
        with open(db_path, "rb") as handle:
            head = handle.read(16)
    except OSError:
        return None
    if head[8:12] == b"DUCK":
        return None
    if not head:
        return (f"{db_path} is an empty file, not a database (a run that was stopped as it made it?): delete it, "
                "then `casereview run` makes the database there; or give the right file with --db.")
    kind = ("a SQLite database" if head.startswith(b"SQLite format 3") else "a PDF" if head.startswith(b"%PDF")
            else "some other kind of file")
    return (f"{db_path} is {kind}, not a casereview database: give the casereview database with --db, or a new "
            "file name to make one with `casereview run`.")


def models_dir() -> Path:
    return Path(os.environ.get("CASEREVIEW_MODELS", PROJECT_ROOT / "models"))


def quiet_third_parties() -> None:
    """No telemetry, no hub downloads, no Prefect server: everything runs offline."""
    for key, value in {
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }.items():
        os.environ.setdefault(key, value)


@contextmanager
def imports_refused(*names: str) -> Iterator[None]:
    """Inside, ``import NAME`` (or of a submodule of it) fails as if NAME were not installed, unless it is imported
    already; afterwards it imports as usual.

    For libraries that import a heavy optional dependency (torch) whenever it is installed although nothing here
    uses it through them. The refusal is a finder first in ``sys.meta_path``, not ``None`` in ``sys.modules``:
    libraries that look for torch in ``sys.modules`` (SciPy does, at import) are not misled.
    """
    finder = _RefusedImports(frozenset(names))
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


class _RefusedImports(MetaPathFinder):
    def __init__(self, names: frozenset[str]) -> None:
        self.names = names

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> None:
        top = fullname.partition(".")[0]
        if top in self.names and top not in sys.modules:  # a package imported already is left to import its parts
            raise ModuleNotFoundError(f"No module named {fullname!r} (not imported on purpose)", name=fullname)
        return None
