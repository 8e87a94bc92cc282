"""Read-only access to the database for people and tools (``casereview sql`` and the search commands)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from pipeline.errors import CaseReviewError


def read_only_connection(path: Path) -> duckdb.DuckDBPyConnection:
    """Open the database read-only, with full-text search loaded and no access to other files."""
    if not Path(path).exists():
        raise CaseReviewError(f"{path}: no database yet: run `casereview run` first")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as exc:
        raise CaseReviewError(
            f"{path}: the database is busy (a run is writing to it): try again in a moment ({exc})"
        ) from None
    try:
        con.execute("LOAD fts")
    except duckdb.Error:
        pass  # the full-text index is optional for plain SQL
    con.execute("SET enable_external_access = false")
    return con


def run_read_only(path: Path, query: str, parameters: list | None = None) -> pd.DataFrame:
    """Run one read-only query and return its rows; a bad query becomes a clear error, not a traceback."""
    con = read_only_connection(path)
    try:
        return con.execute(query, parameters or []).df()
    except duckdb.Error as exc:
        message = str(exc).splitlines()[0]
        if "read-only" in message.lower() or "read only" in message.lower():
            raise CaseReviewError(f"this command only reads the database; it cannot change it ({message})") from None
        raise CaseReviewError(f"the query could not be run: {message}") from None
    finally:
        con.close()
