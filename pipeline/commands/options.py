"""Options shared by every command module (kept here so ``pipeline.cli`` and the modules it loads share them)."""

from __future__ import annotations

from pathlib import Path

import click

DB_OPTION = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    envvar="CASEREVIEW_DB",
    help="The database file to use (default: outputs/casereview.duckdb, or $CASEREVIEW_DB).",
)
