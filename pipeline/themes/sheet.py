"""Label sheets: passages labelled by a person in a spreadsheet (Excel or CSV), read as a gold file.

``casereview label-sheet`` writes such a sheet from the database; people who do not write JSON can also make
one by hand. One row per passage: a text column (``passage`` or ``text``), optionally an id column
(``passage_id`` or ``id``; else the row number), and one column per theme, headed by its name or id
("Voice of the child" or ``voice_of_child``), plus a ``No theme`` column. In each theme's column a person
writes ``x`` when the passage is about the theme and ``?`` when unsure (the passage is then left out of that
theme's scores, like a gold file's ``uncertain``); a passage about none of the themes gets an ``x`` under
``No theme``. A row with no mark at all has not been labelled yet and is left out, so a sheet can be scored
before it is finished. Other columns (the review, the page, notes) are ignored.

Errors name the file, the row as the spreadsheet numbers it (the header is row 1) and the column.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.files import SAVE_AS_UTF8, NotUtf8Error, decode_text
from pipeline.themes.data import Example
from pipeline.themes.errors import ThemeError
from pipeline.themes.taxonomy import plain_label

SHEET_SUFFIXES = (".xlsx", ".csv")
PASSAGES_SHEET = "Passages"  # the sheet read from a workbook, when it has one (else the first sheet)
NO_THEME = "No theme"
ID_COLUMNS = ("passage_id", "id")
TEXT_COLUMNS = ("passage", "text")
YES = frozenset({"x", "y", "yes", "1", "true", "✓", "✔", "tick"})
UNSURE = frozenset({"?", "unsure", "not sure"})
NO = frozenset({"", "n", "no", "0", "false", "-"})
# The marks that can only be marks (not a page number, a count or a yes/no column of another kind).
_PLAIN_MARKS = frozenset({"x", "✓", "✔", "tick"})
MARKS_HELP = "write x (about it), ? (unsure) or leave the cell empty"


@dataclass
class SheetLabels:
    """What a label sheet holds.

    Attributes
    ----------
    examples : list of Example
        The labelled rows, in sheet order (``source`` is "FILE, row N").
    unlabelled : int
        Rows with no mark in any theme column or under "No theme": not labelled yet, left out.
    missing_themes : list of str
        Themes with no column: every passage is left out of their scores (uncertain), since nobody was asked.
    """

    examples: list[Example]
    unlabelled: int = 0
    missing_themes: list[str] = field(default_factory=list)

    def notes(self, names: Mapping[str, str] | None = None) -> list[str]:
        """What a person should know about the scores: rows left out, themes with no column."""
        notes = []
        if self.unlabelled:
            rows = "1 row has" if self.unlabelled == 1 else f"{self.unlabelled} rows have"
            notes.append(f"{rows} no mark yet (no x or ? in any theme column, nor under \"{NO_THEME}\") and "
                         "were left out")
        if self.missing_themes:
            shown = ", ".join((names or {}).get(theme, theme) for theme in self.missing_themes)
            notes.append(f"no column for {shown}: not scored (add a column headed with the theme's name to "
                         "label it)")
        return notes


def is_sheet(path: Path) -> bool:
    """Whether a gold file is a spreadsheet (by its suffix) rather than JSON lines.

    >>> is_sheet(Path("check.XLSX")), is_sheet(Path("labels.jsonl"))
    (True, False)
    """
    return Path(path).suffix.lower() in SHEET_SUFFIXES


def read_sheet(path: Path, themes: Collection[str], names: Mapping[str, str] | None = None) -> SheetLabels:
    """Read a label sheet (``.xlsx`` or ``.csv``).

    Parameters
    ----------
    path : Path
        The sheet. A workbook's "Passages" sheet is read, or its first sheet when it has none.
    themes : collection of str
        The theme ids to read (a model's or a taxonomy's).
    names : mapping, optional
        Theme id -> display name; a column may be headed by either, in any case.

    Raises
    ------
    ThemeError
        For a file that cannot be read, no text column, no theme column, a mark that is neither x, ? nor
        empty, a labelled row with no text, or a row marked both "No theme" and a theme.
    """
    path = Path(path)
    header, rows = _read_rows(path)
    columns = {plain_label(str(name)): index for index, name in enumerate(header) if name is not None}
    text_at = _first(columns, TEXT_COLUMNS)
    if text_at is None:
        raise ThemeError(f"{path}: no column headed 'passage' or 'text' in the first row: it should hold the "
                         "passages' text (as `casereview label-sheet` writes it)")
    id_at = _first(columns, ID_COLUMNS)
    known = list(themes)
    headings = {plain_label(theme): theme for theme in known}
    headings.update({plain_label(name): theme for theme, name in (names or {}).items() if theme in known})
    theme_at = {headings[label]: index for label, index in columns.items() if label in headings}
    if not theme_at:
        shown = ", ".join(f'"{(names or {}).get(theme, theme)}"' for theme in known)
        raise ThemeError(f"{path}: no column is headed with a theme's name: the first row should name the themes "
                         f"({shown}), one column each, with \"{NO_THEME}\" beside them")
    none_at = columns.get(plain_label(NO_THEME))
    _refuse_marks_for_unknown_themes(path, header, rows, set(theme_at.values()) | {text_at, id_at, none_at}, known,
                                     names)
    examples, unlabelled = [], 0
    for number, row in rows:
        labels, uncertain, marked = set(), set(), False
        for theme, index in theme_at.items():
            mark = _mark(_cell(row, index), path, number, header[index])
            marked |= mark is not None
            if mark == "yes":
                labels.add(theme)
            elif mark == "unsure":
                uncertain.add(theme)
        none = none_at is not None and _mark(_cell(row, none_at), path, number, header[none_at]) == "yes"
        if none and (labels or uncertain):
            raise ThemeError(f"{path}, row {number}: marked under \"{NO_THEME}\" and under a theme: keep one")
        if not marked and not none:
            unlabelled += 1
            continue
        text = _cell(row, text_at)
        text = "" if text is None else str(text).strip()
        if not text:
            raise ThemeError(f"{path}, row {number}: labelled but the '{header[text_at]}' cell is empty: paste the "
                             "passage's text there, or clear the row's marks")
        raw_id = _cell(row, id_at) if id_at is not None else None
        example_id = str(raw_id).strip() if raw_id is not None and str(raw_id).strip() else f"row-{number}"
        missing = set(known) - set(theme_at)
        examples.append(Example(id=example_id, text=text, labels=frozenset(labels),
                                uncertain=frozenset(uncertain | missing), source=f"{path}, row {number}",
                                file=path.name))
    return SheetLabels(examples, unlabelled, [theme for theme in known if theme not in theme_at])


def _refuse_marks_for_unknown_themes(path: Path, header: list[Any], rows: list[tuple[int, tuple]], used: set,
                                     known: list[str], names: Mapping[str, str] | None) -> None:
    """A column of x marks headed with a theme the model does not have (a sheet drawn for a model trained with a
    theme of the user's own) would be left out, and its rows counted as not labelled: say so instead."""
    for index, heading in enumerate(header):
        if index in used or heading is None:
            continue
        marks = sum(1 for _, row in rows if " ".join(str(_cell(row, index) or "").split()).lower() in _PLAIN_MARKS)
        if marks:
            shown = ", ".join(f'"{(names or {}).get(theme, theme)}"' for theme in known)
            raise ThemeError(f"{path}: the column '{heading}' has {marks} x mark{'s' if marks != 1 else ''}, but the "
                             f"model has no theme of that name (its themes: {shown}), so "
                             f"{'it' if marks == 1 else 'they'} would be left out. If "
                             "the sheet is for a model you trained with a theme of your own, give that model with "
                             "--model; if the column is your own notes, write them as words, not x.")


def sheet_sample(path: Path) -> str | None:
    """How a label sheet's passages were drawn, from the provenance ``casereview label-sheet`` wrote with it
    (a workbook's "Provenance" sheet, or ``NAME.provenance.json`` beside a CSV); None when there is none.

    >>> sheet_sample(Path("labels.jsonl")) is None
    True
    """
    path = Path(path)
    about: dict[str, Any] = {}
    try:
        if path.suffix.lower() == ".xlsx":
            import openpyxl

            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
            try:
                if "Provenance" in book.sheetnames:
                    about = {row[0]: row[1] for row in book["Provenance"].iter_rows(min_row=2, values_only=True)
                             if row and row[0]}
            finally:
                book.close()
        elif path.suffix.lower() == ".csv":
            sidecar = path.with_name(path.name + ".provenance.json")
            if sidecar.is_file():
                about = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None
    if not isinstance(about, dict) or not about.get("sample"):
        return None
    parts = [str(about["sample"])]
    if about.get("reviews") and about["reviews"] != "all":
        parts.append(f"reviews: {about['reviews']}")
    if about.get("section"):
        parts.append(f'under headings containing "{about["section"]}"')
    return "; ".join(parts)


def _first(columns: Mapping[str, int], wanted: tuple[str, ...]) -> int | None:
    return next((columns[name] for name in wanted if name in columns), None)


def _cell(row: tuple, index: int | None) -> Any:
    return row[index] if index is not None and index < len(row) else None


def _mark(value: Any, path: Path, row: int, column: Any) -> str | None:
    """'yes', 'unsure' or None (no mark) for a cell; ThemeError naming the cell for anything else."""
    if value is None or isinstance(value, float) and value != value:  # empty, or NaN
        return None
    if isinstance(value, bool):
        return "yes" if value else None
    if isinstance(value, (int, float)) and value in (0, 1):
        return "yes" if value == 1 else None
    text = " ".join(str(value).split()).lower()
    if text in YES:
        return "yes"
    if text in UNSURE:
        return "unsure"
    if text in NO:
        return None
    raise ThemeError(f"{path}, row {row}, column '{column}': {str(value)!r} is not a mark: {MARKS_HELP}")


def _read_rows(path: Path) -> tuple[list[Any], list[tuple[int, tuple]]]:
    """The header row and the other rows of a sheet with their numbers as the spreadsheet shows them, cells as
    read (str, numbers, bool or None); blank rows are skipped."""
    if not path.is_file():
        raise ThemeError(f"{path}: gold file not found")
    data = path.read_bytes()
    if path.suffix.lower() == ".xlsx" or data.startswith(b"PK\x03\x04"):  # (an Excel workbook named .csv too)
        rows = _workbook_rows(path, data)
    else:
        try:
            text, _ = decode_text(data)  # Excel's plain "CSV" is Windows-1252 on Windows
        except NotUtf8Error as exc:
            raise ThemeError(f"{path}, line {exc.line}: not UTF-8 text: {SAVE_AS_UTF8} (in Excel: Save As, "
                             "CSV UTF-8)") from None
        try:
            rows = [tuple(cell if cell.strip() else None for cell in row)
                    for row in csv.reader(io.StringIO(text.lstrip("\ufeff")))]
        except csv.Error as exc:
            raise ThemeError(f"{path}: not a readable CSV file ({exc})") from None
    numbered = [(number, row) for number, row in enumerate(rows, start=1)
                if any(cell is not None and str(cell).strip() for cell in row)]
    if not numbered:
        raise ThemeError(f"{path}: the sheet is empty")
    return list(numbered[0][1]), numbered[1:]


def _workbook_rows(path: Path, data: bytes) -> list[tuple]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ThemeError(f"{path}: not a readable Excel workbook ({exc}); save it again from Excel as .xlsx, or "
                         "as CSV UTF-8") from None
    try:
        sheet = book[PASSAGES_SHEET] if PASSAGES_SHEET in book.sheetnames else book.worksheets[0]
        return [tuple(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()
