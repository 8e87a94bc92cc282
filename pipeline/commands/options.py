"""Options shared by every command module (kept here so ``pipeline.cli`` and the modules it loads share them)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import click

_WINDOWS_DRIVE = re.compile(r"^([A-Za-z]):[\\/]")


class UserPath(click.Path):
    """A file or folder named on the command line, read as people write it: ``~/Desktop/x.xlsx`` is in their
    home folder even when quoted (the shell expands ``~`` only unquoted), and a Windows path such as
    ``C:\\Users\\me\\x.xlsx`` given on Linux or WSL is refused with the path to write instead, rather than
    becoming a file of that odd name in the current folder."""

    def convert(self, value, param, ctx):
        if isinstance(value, str):
            drive = _WINDOWS_DRIVE.match(value)
            if drive and os.name != "nt":
                rest = value[drive.end():].replace("\\", "/")
                self.fail(f"\"{value}\" is a Windows path, which this system cannot open. In WSL the same place is "
                          f"/mnt/{drive.group(1).lower()}/{rest}: give that instead.", param, ctx)
            value = os.path.expanduser(value)
            if self.exists and not os.path.lexists(value):  # a file named as it nearly is: say which is there
                from pipeline.files import closest_file

                close = closest_file(Path(value))
                if close:
                    self.fail(f"{value}: no such file; the file of the closest name there is "
                              f"\"{Path(value).with_name(close)}\"", param, ctx)
        return super().convert(value, param, ctx)


DB_OPTION = click.option(
    "--db",
    "db_path",
    type=UserPath(dir_okay=False, path_type=Path),
    default=None,
    envvar="CASEREVIEW_DB",
    help="The database file to use (default: outputs/casereview.duckdb, or $CASEREVIEW_DB).",
)

class Year(click.ParamType):
    """A year of four figures ("22" is refused, as the web page refuses it: it would keep every review)."""

    name = "year"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        text = str(value).strip()
        if not re.fullmatch(r"[0-9]{4}", text):
            self.fail(f"'{value}' is not a year: give four figures, e.g. 2019", param, ctx)
        return int(text)


class Probability(click.ParamType):
    """A lowest theme probability, from 0 to 1, or a percentage (80 or 80%), read as the web page reads it."""

    name = "probability"

    def convert(self, value, param, ctx):
        from pipeline.outputs.common import ambiguous_number, read_probability

        if isinstance(value, float):
            return value
        text = str(value)
        score = read_probability(text)
        if score is None and ambiguous_number(text):
            self.fail(f"'{value}' could be a slip for a number from 0 to 1 or a percentage without its sign: give a "
                      f"number from 0 to 1 (0.8) or a percentage with its sign ({text.strip()}%)", param, ctx)
        if score is None:
            self.fail(f"'{value}' is not a probability: give a number from 0 to 1 (0.8) or a percentage (80%)",
                      param, ctx)
        return score


YEAR = Year()
PROBABILITY = Probability()

_REVIEW_FILTERS = (
    click.option("--year-from", type=YEAR, default=None, metavar="YEAR", help="Only reviews from this year on."),
    click.option("--year-to", type=YEAR, default=None, metavar="YEAR", help="Only reviews up to this year."),
    click.option("--nation", default=None, help="Only reviews from this nation, e.g. Wales."),
    click.option("--review-type", default=None, help="Only this kind of review, e.g. CSPR, SCR, CPR."),
    click.option("--area", default=None, help="Only the reviews of this area: its name, or enough of it to name "
                 "one area, e.g. Northmoor."),
)


REVIEW_OPTION = click.option(
    "--review", default=None, metavar="ID",
    help="Only this one review: its review id (e.g. northmoor-2021-child-m), or words found in its title alone "
         "(e.g. \"Child M\").")


SECTION_OPTION = click.option(
    "--section", default=None, metavar="TEXT",
    help="Only passages under a heading that contains this text, e.g. recommendations (which also keeps a Welsh "
         "child practice review's \"Improving systems and practice\" and a rapid review's \"Actions agreed\").")
MIN_SCORE_OPTION = click.option(
    "--min-score", type=PROBABILITY, default=None, metavar="P",
    help="Only passages whose theme probability is at least P (0 to 1, or a percentage: 0.8, 80 and 80% are the "
         "same).")


def review_filter_options(command):
    """Add the options that keep some reviews only (``--year-from``, ``--year-to``, ``--nation``,
    ``--review-type``, ``--area``): the command receives ``year_from``, ``year_to``, ``nation``, ``review_type``
    and ``area``."""
    for option in reversed(_REVIEW_FILTERS):
        command = option(command)
    return command
# A random seed: numpy and scikit-learn take 0 to 2**32 - 1 (beyond it they stop with a traceback).
SEED = click.IntRange(0, 2**32 - 1)
