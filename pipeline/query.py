"""Read-only access to the database for people and tools (``casereview sql`` and the search commands)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import duckdb
import pandas as pd

from pipeline.errors import CaseReviewError, DatabaseBusy
from pipeline.settings import NO_DOWNLOADS, no_database_message, not_duckdb_message


def read_only_connection(path: Path) -> duckdb.DuckDBPyConnection:
    """Open the database read-only, with full-text search loaded and no access to other files."""
    if not Path(path).exists():
        raise CaseReviewError(no_database_message(path))
    if problem := not_duckdb_message(path):
        raise CaseReviewError(problem)
    try:
        con = duckdb.connect(str(path), read_only=True, config=NO_DOWNLOADS)
    except (duckdb.IOException, duckdb.ConnectionException) as exc:
        # a lock (IOException): another program holds the file for writing; ConnectionException: this program
        # does (a search rebuilding its tables), which DuckDB will not share with a read-only connection
        if isinstance(exc, duckdb.IOException) and "lock" not in str(exc).lower():
            # not a lock: a folder, a file that cannot be read. DuckDB's first words say which (without the
            # process ids and links that follow)
            said = str(exc).split("\n", 1)[0].split(". See also", 1)[0]
            raise CaseReviewError(f"{path}: the database cannot be opened ({said})") from None
        # (DuckDB's own words, a lock, a process id and a link, mean nothing to the people reading this)
        logging.getLogger(__name__).debug("database busy: %s", exc)
        raise DatabaseBusy(
            f"{path}: the database is busy (a run, or another program, is writing to it): try again in a moment"
        ) from None
    try:
        con.execute("LOAD fts")
    except duckdb.Error:
        pass  # the full-text index is optional for plain SQL
    con.execute("SET enable_external_access = false")
    return con


def run_read_only(path: Path, query: str, parameters: list | None = None) -> pd.DataFrame:
    """Run one read-only query and return its rows; a bad query becomes a clear error, not a traceback."""
    if not query.strip(" \t\r\n;"):
        raise CaseReviewError('the query is empty: give a SELECT, e.g. casereview sql "SELECT review_id, title, '
                              'year FROM reviews"')
    con = read_only_connection(path)
    try:
        statements = len(con.extract_statements(query))
        if statements > 1:  # DuckDB runs them all and gives the last one's rows only
            raise CaseReviewError(f"the query holds {statements} statements (separated by ;), and only the last one's "
                                  "rows would be shown: give one query at a time")
        relation = con.execute(query, parameters or [])
        if relation.description is None:  # a statement that returns no rows (e.g. SET, or comments only)
            return pd.DataFrame()
        dates = [column[0] for column in relation.description if str(column[1]) == "DATE"]
        # a sum of whole numbers is a HUGEINT, which pandas reads as a float (92.0): keep it whole
        whole = [column[0] for column in relation.description if str(column[1]) in ("HUGEINT", "UHUGEINT")]
        frame = relation.df()
        for column in dates:  # pandas reads a DATE as a time at midnight: keep it a date
            frame[column] = [None if pd.isna(value) else value.date() for value in frame[column]]
        for column in whole:
            frame[column] = frame[column].astype("Int64")
        return frame
    except duckdb.Error as exc:
        lines = [line for line in str(exc).splitlines() if line.strip()]
        message = lines[0]
        if "read-only" in message.lower() or "read only" in message.lower():
            raise CaseReviewError(f"this command only reads the database; it cannot change it ({message})") from None
        # DuckDB's hints ("Did you mean "passages"?", "Candidate bindings: ...") and the line of the query
        # with a caret under the mistake come on the lines after the first: people need them.
        detail = "\n".join(lines[1:])
        if isinstance(exc, duckdb.CatalogException) and message.startswith("Catalog Error: Table with name"):
            detail += ("\n" if detail else "") + "Tables and views: " + ", ".join(_tables(con)) + (
                " (their columns are described in docs/schema.md and docs/views.md)")
        column = _UNKNOWN_COLUMN.match(message)
        if column:  # text written without quotes ("nation = Wales"), or in SQL's double quotes, names a column
            name = column.group(1)
            quoted = "'" + name.replace("'", "''") + "'"  # (a quote mark inside is written twice: 'King''s Lynn')
            detail += (f"\nIf {name} is a value to compare with (a nation, a name, words), not a column, write it in "
                       f"single quotes: {quoted}. The columns of each table and view are described in docs/schema.md "
                       "and docs/views.md.")
        raise CaseReviewError(f"the query could not be run: {message}" + (f"\n{detail}" if detail else "")) from None
    finally:
        con.close()


_UNKNOWN_COLUMN = re.compile(r'Binder Error: Referenced column "([^"]+)" not found')


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The tables and views people query (not the full-text index's or the search tables' own)."""
    return [name for (name,) in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY table_name"
    ).fetchall()]
