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

_REVIEW_FILTERS = (
    click.option("--year-from", type=int, default=None, metavar="YEAR", help="Only reviews from this year on."),
    click.option("--year-to", type=int, default=None, metavar="YEAR", help="Only reviews up to this year."),
    click.option("--nation", default=None, help="Only reviews from this nation, e.g. Wales."),
    click.option("--review-type", default=None, help="Only this kind of review, e.g. CSPR, SCR, CPR."),
    click.option("--area", default=None, help="Only reviews whose area contains this text, e.g. Northmoor."),
)


def review_filter_options(command):
    """Add the options that keep some reviews only (``--year-from``, ``--year-to``, ``--nation``,
    ``--review-type``, ``--area``): the command receives ``year_from``, ``year_to``, ``nation``, ``review_type``
    and ``area``."""
    for option in reversed(_REVIEW_FILTERS):
        command = option(command)
    return command
