"""Read, check, draft and write the review manifest (a CSV file, one review a row).

The manifest is edited by learning-review officers in a spreadsheet, so every check
collects *all* problems and reports them together, each naming the file, the line
and the field, and saying what to change. Nothing here touches the network.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import difflib
import hashlib
import io
import os
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import urlsplit

from pipeline.errors import ManifestError
from pipeline.files import (
    CANNOT_OPEN,
    LINK_LOOP,
    NOT_A_FILE,
    NotUtf8Error,
    atomic_write,
    closest_file,
    controls_as_spaces,
    decode_utf8,
    file_state,
    legacy_decode,
    same_file_any_accents,
)

COLUMNS: tuple[str, ...] = (
    "review_id",
    "title",
    "area",
    "nation",
    "review_type",
    "year",
    "published",
    "source",
    "sha256",
    "notes",
)
REQUIRED_COLUMNS: tuple[str, ...] = ("review_id", "title", "area", "nation", "review_type", "year", "source")
# Other names a spreadsheet may give a column (normalised: lower case, "_" for spaces and hyphens).
COLUMN_NAMES: dict[str, str] = {
    "id": "review_id",
    "review_title": "title",
    "local_authority": "area", "partnership": "area", "safeguarding_partnership": "area", "lscb": "area",
    "lscp": "area", "board": "area",
    "country": "nation",
    "type": "review_type", "type_of_review": "review_type",
    "publication_year": "year", "year_published": "year",
    "date": "published", "published_date": "published", "publication_date": "published",
    "date_published": "published",
    "url": "source", "link": "source", "pdf": "source", "file": "source", "path": "source", "pdf_link": "source",
    "sha_256": "sha256", "checksum": "sha256",
    "note": "notes", "comments": "notes",
}
NATIONS: tuple[str, ...] = ("England", "Wales", "Scotland", "Northern Ireland")
REVIEW_TYPES: tuple[str, ...] = ("CSPR", "SCR", "CPR", "learning review", "CMR", "rapid review", "other")
# The earliest year a manifest may give: England's serious case reviews (and the inquiries before them) go back
# to the 1970s. Guesses from a PDF (its cover, dates and file name) keep to GUESS_MIN_YEAR and after, so that
# "the Children Act 1989" on a cover is not taken for the year of the review.
MIN_YEAR = 1970
GUESS_MIN_YEAR = 2000

_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_SHA256_RE = re.compile(r"^[0-9a-fA-F]{64}$")
_ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A date as a spreadsheet in the UK writes it back into a CSV file: day first ("05/09/2022", "5.9.2022").
_UK_DATE_RE = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")
_DATE_FORMATS = ("%d %B %Y", "%d %b %Y")  # "5 September 2022", "5 Sept 2022"
# A year a spreadsheet wrote as a number with a decimal point ("2020.0").
_DECIMAL_YEAR_RE = re.compile(r"^(\d{4})\.0+$")
# Two or more letters, so a Windows drive ("C:\...") is not mistaken for a URL scheme.
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):")
_FIX = "Fix the value in the spreadsheet and run again."
# Reports one problem in a field: bad(column, message[, advice]).
_Report = Callable[..., None]
_HASH_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ManifestEntry:
    """One review listed in the manifest.

    Attributes
    ----------
    review_id : str
        Unique slug ([a-z0-9._-]) used as the key everywhere downstream.
    title, area : str
        Review title and the safeguarding partnership / local authority.
    nation : str
        One of ``NATIONS`` (normalised spelling).
    review_type : str
        One of ``REVIEW_TYPES`` (normalised spelling).
    year : int
        Year of the review.
    published : datetime.date or None
        Publication date, when known.
    source : str
        http(s) URL, or a path relative to the manifest's folder.
    sha256 : str or None
        Expected checksum of the document (lower-case hex), when known.
    notes : str or None
        Free text.
    line : int
        Line of the CSV file the row starts on (the header is line 1).
    """

    review_id: str
    title: str
    area: str
    nation: str
    review_type: str
    year: int
    published: datetime.date | None
    source: str
    sha256: str | None
    notes: str | None
    line: int

    def is_url(self) -> bool:
        """Return True when ``source`` is an http(s) URL rather than a local path."""
        return _is_http_url(self.source)

    def local_path(self, manifest_dir: Path) -> Path:
        """Return the absolute path of a local ``source``, resolved against ``manifest_dir``.

        Parameters
        ----------
        manifest_dir : Path
            Folder that holds the manifest (``Manifest.folder``).

        Raises
        ------
        ManifestError
            If the source is a URL, or the path leaves the manifest's folder.
        """
        where = f"line {self.line}, review '{self.review_id}'"
        if self.is_url():
            raise ManifestError(f"{where}: source {self.source!r} is a URL, not a local file.")
        problem = _local_source_problem(self.source)
        if problem:
            raise ManifestError(f"{where}, field 'source': {problem}")
        path = Path(manifest_dir) / self.source.replace("\\", "/")
        try:
            return same_file_any_accents(path.resolve())
        except (RuntimeError, OSError):  # a symbolic link leading round in a loop, a name too long to resolve
            return Path(os.path.abspath(path))


@dataclass
class Manifest:
    """A loaded, validated manifest.

    Attributes
    ----------
    path : Path
        The CSV file it was read from.
    entries : list of ManifestEntry
        One entry per review, in file order.
    """

    path: Path
    entries: list[ManifestEntry]
    # Set when the file was not UTF-8 and was read in an older encoding: says which, and which words to check.
    encoding_note: str | None = None
    # Checksum of the bytes that were actually parsed, so provenance stays right
    # even if someone edits the file while the pipeline runs.
    _checksum: str | None = field(default=None, repr=False, compare=False)

    @property
    def folder(self) -> Path:
        """Folder that relative ``source`` paths are resolved against."""
        return Path(self.path).resolve().parent

    def checksum(self) -> str:
        """Return the sha256 (hex) of the manifest file's bytes, for provenance records."""
        if self._checksum is None:
            self._checksum = hashlib.sha256(Path(self.path).read_bytes()).hexdigest()
        return self._checksum


# --------------------------------------------------------------------------- loading


def load_manifest(path: Path) -> Manifest:
    """Read and validate a manifest CSV file.

    Parameters
    ----------
    path : Path
        The CSV file: UTF-8 (with or without a byte-order mark), UTF-16 with its byte-order mark, or else
        Windows-1252 or Mac OS Roman, which a spreadsheet's plain "CSV" uses (``encoding_note`` then says so).

    Returns
    -------
    Manifest
        The validated entries with normalised values.

    Raises
    ------
    ManifestError
        Listing every problem found (file, line, field and what to do). The list is
        also available as the ``problems`` attribute of the exception.
    """
    path = Path(path)
    data = _read_manifest_bytes(path)
    text, encoding_note = _decode(data, path)
    problems: list[str] = []
    entries = list(_parse_rows(text, path.name, problems))
    if not problems and not entries:
        problems.append(
            f"{path.name}: the manifest lists no reviews. Add one row per review below the header line."
        )
    if problems:
        raise _manifest_error(path, problems)
    return Manifest(path=path, entries=entries, encoding_note=encoding_note,
                    _checksum=hashlib.sha256(data).hexdigest())


def _read_manifest_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ManifestError(
            f"Manifest file not found: {path}. Check the path (it is relative to the folder you run from)."
        ) from None
    except IsADirectoryError:
        raise ManifestError(
            f"{path} is a folder, not a manifest CSV file. Give the path of the CSV file."
        ) from None
    except OSError as exc:
        raise ManifestError(f"Could not read the manifest {path}: {exc.strerror or exc}.") from None


# What a spreadsheet program's own file starts with: Excel's .xlsx and LibreOffice's .ods are zip files, an old
# .xls a compound document.
_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")


def _decode(data: bytes, path: Path) -> tuple[str, str | None]:
    """The manifest's text, and a note for the user when it was read in an older encoding than UTF-8."""
    if data.startswith(_WORKBOOK_MAGIC):
        raise ManifestError(
            f"{path.name} is a spreadsheet workbook, not a CSV file. In your spreadsheet use 'Save As' > "
            "'CSV UTF-8 (comma delimited)' and give the .csv file."
        )
    if data.startswith(b"%PDF-"):
        raise ManifestError(
            f"{path.name} is a PDF, not a manifest. The manifest is a CSV file listing the reviews, one row each, "
            "with the PDF's path or web address in its source column: `casereview manifest from-folder FOLDER` "
            "writes one for a folder of PDFs."
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with its byte-order mark: Excel's "Unicode Text"
        try:
            return data.decode("utf-16"), None
        except UnicodeDecodeError:
            pass  # not UTF-16 after all: refused below as not UTF-8
    try:
        return decode_utf8(data), None  # without the byte-order mark Excel adds when saving "CSV UTF-8"
    except NotUtf8Error as exc:
        legacy = legacy_decode(data)
        if legacy is None:
            raise ManifestError(
                f"{path.name} line {exc.line}: the file is not UTF-8 text. In your spreadsheet use "
                "'Save As' > 'CSV UTF-8 (comma delimited)' and run again."
            ) from None
        text, encoding = legacy
        return text, _encoding_note(path.name, text, encoding)


_NOTE_WORDS = 3


def _encoding_note(file_name: str, text: str, encoding: str) -> str:
    """What was done and which words to look at: the first few words with characters outside ASCII, by line."""
    found: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        for word in line.replace(",", " ").replace(";", " ").replace("\t", " ").split():
            if any(ord(ch) > 127 for ch in word):
                found.append(f"'{word.strip(chr(34))}' (line {number})")
        if len(found) >= _NOTE_WORDS:
            break
    words = ", ".join(found[:_NOTE_WORDS]) if found else "names with accents, dashes or curly quotes"
    return (f"{file_name} is not UTF-8 text; it was read as {encoding}, as spreadsheets save a plain CSV. Check that "
            f"{words} read as you wrote them; if not, use 'Save As' > 'CSV UTF-8 (comma delimited)'.")


def _manifest_error(path: Path, problems: list[str]) -> ManifestError:
    noun = "problem" if len(problems) == 1 else "problems"
    body = "\n".join(f"  - {p}" for p in problems)
    err = ManifestError(f"The manifest {path} has {len(problems)} {noun}:\n{body}")
    err.problems = list(problems)  # type: ignore[attr-defined]  # for callers that list them separately
    return err


def _delimiter(text: str) -> str:
    r"""The character between columns: a comma, or the semicolon or tab that the header line uses instead of
    commas. Excel saves "CSV" with semicolons where the comma is the decimal mark, and a table copied out of
    a spreadsheet into a text file has tabs.

    >>> _delimiter("review_id;title;area\n"), _delimiter("review_id\ttitle\n"), _delimiter("review_id,title\n")
    (';', '\t', ',')
    """
    header = text.split("\n", 1)[0]
    if "," not in header:
        for other in (";", "\t"):
            if other in header:
                return other
    return ","


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (starting line, cells) per CSV record; quoted cells may span lines."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    next_line = 1
    for cells in reader:
        yield next_line, cells
        next_line = reader.line_num + 1


def _header_below_title(text: str) -> int | None:
    """The line that names the columns when the lines above it do not (a title or note a spreadsheet had above its
    table, "Safeguarding reviews 2024"); None when the first line names them, or no line near it does.

    >>> _header_below_title("Reviews for 2024,,,\\n\\nreview_id,title,area,nation,review_type,year,source\\na,...")
    3
    >>> _header_below_title("review_id,title,area,nation,review_type,year,source\\n") is None
    True
    """
    def names(line: str) -> set[str]:
        return {COLUMN_NAMES.get(cell, cell) for cell in map(_normalise_column, re.split(r"[,;\t]", line))}

    lines = text.split("\n")[:6]
    if names(lines[0]) & set(COLUMNS):
        return None
    return next((number for number, line in enumerate(lines[1:], start=2) if set(REQUIRED_COLUMNS) <= names(line)),
                None)


def _parse_rows(text: str, name: str, problems: list[str]) -> Iterator[ManifestEntry]:
    header_at = _header_below_title(text)
    if header_at is not None:
        problems.append(f"{name}: the column names are on line {header_at}, not line 1: delete the line"
                        f"{'s' if header_at > 2 else ''} above them (a title or note above the table in the "
                        "spreadsheet), so that the first line names the columns, and run again.")
        return
    try:
        records = list(_records(text))
    except csv.Error as exc:
        problems.append(f"{name}: the file is not valid CSV ({exc}). Re-save it from the spreadsheet as CSV.")
        return
    if not records:
        problems.append(
            f"{name}: the file is empty. The first line must name the columns: {', '.join(COLUMNS)}."
        )
        return
    header_line, header_cells = records[0]
    columns = _check_header(header_cells, name, header_line, problems)
    if columns is None:
        return
    seen_ids: dict[str, int] = {}
    delimiter = _delimiter(text)
    for line, cells in records[1:]:
        if not any(c.strip() for c in cells):
            continue  # blank spreadsheet rows are harmless
        if swallowed := _swallowed_rows(cells, columns, delimiter, name, line):
            problems.append(swallowed)
            continue
        row = _row_dict(cells, columns, name, line, problems)
        if row is None:
            continue
        # Duplicates are checked before the other fields, so a row with several mistakes reports them all.
        review_id = (row.get("review_id") or "").strip()
        first = seen_ids.setdefault(review_id, line) if review_id else line
        if first != line:
            problems.append(
                f"{name} line {line}, field 'review_id': {review_id!r} is already used on line "
                f"{first}. Each review needs its own review_id: change one of them and run again."
            )
        entry = _validate_row(row, name, line, problems)
        if entry is not None and first == line:
            yield entry


_ROW_START = re.compile(r"\s*[a-z0-9][a-z0-9._-]*\s*$")  # a review id, as _SLUG_RE allows


def _swallowed_rows(cells: list[str], columns: list[str | None], delimiter: str, name: str, line: int
                    ) -> str | None:
    """The problem to report when a cell holds later rows of the manifest: a double quote opened in it and
    not closed (a stray " in a title or a note) makes CSV read every line up to the next quote into that one
    cell, so those reviews would silently go missing.

    >>> cells = ["b-1", 'Taken from the "old site\\nc-2,Child C,Northmoor,England,CSPR,2020,c.pdf\\nd-3,Child D']
    >>> print(_swallowed_rows(cells, ["review_id", "notes"], ",", "m.csv", 3))  # doctest: +ELLIPSIS
    m.csv line 3, field 'notes': the double quote (") ... lines 4-5 were read as part of this cell ...
    """
    for index, cell in enumerate(cells):
        inner = cell.rstrip("\n").split("\n")[1:]
        # a row as a spreadsheet writes it: a review id, then (nearly) as many cells as the header has
        cells_needed = max(3, min(len(columns) - 1, 5))
        rows = [text for text in inner if text.count(delimiter) >= cells_needed
                and _ROW_START.fullmatch(text.split(delimiter, 1)[0])]
        if rows:
            field = columns[index] if index < len(columns) and columns[index] else f"column {index + 1}"
            end = line + len(inner)
            return (f"{name} line {line}, field {field!r}: the double quote (\") in this cell is not closed until "
                    f"line {end}, so {f'lines {line + 1}-{end} were' if end > line + 1 else f'line {end} was'} read as "
                    f"part of this cell instead of as {'rows' if end > line + 1 else 'a row'} of "
                    f"{'their' if end > line + 1 else 'its'} own (the first begins {rows[0][:40]!r}). Remove the "
                    "stray quote, or write a quote inside a cell twice (\"\"like this\"\"), and run again.")
    return None


def _normalise_column(name: str) -> str:
    return re.sub(r"[\s-]+", "_", name.strip().lower())


def _check_header(cells: list[str], name: str, line: int, problems: list[str]) -> list[str | None] | None:
    """Map each header cell to a known column; None marks an ignorable blank column."""
    columns: list[str | None] = []
    found: set[str] = set()
    unknown: list[str] = []
    named: dict[str, str] = {}  # column -> the header cell that gave it
    twice = False
    for cell in cells:
        col = _normalise_column(cell)
        if not col:
            columns.append(None)
            continue
        col = COLUMN_NAMES.get(col, col)
        if col in named:
            twice = True
            first = named[col]
            problems.append(
                f"{name} line {line}: the column {cell.strip()!r} appears twice. Delete one of them."
                if _normalise_column(first) == _normalise_column(cell) else
                f"{name} line {line}: the columns {first!r} and {cell.strip()!r} both give the {col!r}. "
                "Delete or rename one of them."
            )
        elif col not in COLUMNS:
            unknown.append(cell.strip())
        named.setdefault(col, cell.strip())
        found.add(col)
        columns.append(col)
    if unknown:
        extra = [col for col in unknown if not _close_column(col)]
        misspelt = [col for col in unknown if _close_column(col)]
        problems.append(
            f"{name} line {line}: unknown column(s) {_describe_unknown(unknown)}, so the manifest cannot be read. "
            + (_columns_hint() if misspelt else _columns_hint().removesuffix(" Rename the column(s) and run again."))
            + (f" casereview has no column like {', '.join(map(repr, extra))}: delete it, or move what it holds "
               "into the notes column, then run again." if extra else "")
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in found]
    if missing:
        problems.append(
            f"{name} line {line}: missing required column(s) {', '.join(repr(m) for m in missing)}. "
            f"{_columns_hint()}"
        )
    return None if unknown or missing or twice else columns  # rows read with a bad header only add noise


def _close_column(col: str) -> str | None:
    """The known column a header cell is likely a misspelling of, if any."""
    close = difflib.get_close_matches(_normalise_column(col), COLUMNS, n=1, cutoff=0.6)
    return close[0] if close else None


def _describe_unknown(unknown: list[str]) -> str:
    parts = []
    for col in unknown:
        close = _close_column(col)
        parts.append(f"{col!r} (did you mean {close!r}?)" if close else repr(col))
    return ", ".join(parts)


def _columns_hint() -> str:
    return (
        f"The header line must use these column names: {', '.join(COLUMNS)} "
        f"(required: {', '.join(REQUIRED_COLUMNS)}). Rename the column(s) and run again."
    )


def _row_dict(
    cells: list[str], columns: list[str | None], name: str, line: int, problems: list[str]
) -> dict[str, str] | None:
    extra = [c for c in cells[len(columns) :] if c.strip()]
    stray = [c for c, col in zip(cells, columns, strict=False) if col is None and c.strip()]
    if extra or stray:
        problems.append(
            f"{name} line {line}: the row has values outside the named columns "
            f"({', '.join(map(repr, extra + stray))}). Move them into a named column (e.g. notes) "
            "or give the column a name, and run again."
        )
        return None
    row = {col: "" for col in COLUMNS}
    for col, cell in zip(columns, cells, strict=False):
        if col is not None:
            row[col] = cell.strip()
    return row


def _validate_row(row: dict[str, str], name: str, line: int, problems: list[str]) -> ManifestEntry | None:
    before = len(problems)

    def bad(column: str, message: str, advice: str = _FIX) -> None:
        problems.append(f"{name} line {line}, field '{column}': {message}. {advice}")

    for column in REQUIRED_COLUMNS:
        if not row[column]:
            bad(column, "is empty but required", "Fill it in and run again.")
    review_id = _check_review_id(row["review_id"], bad)
    nation = _check_choice(row["nation"], NATIONS, "nation", bad)
    review_type = _check_choice(_review_type_name(row["review_type"]), REVIEW_TYPES, "review_type", bad)
    year = _check_year(row["year"], bad)
    published = _check_published(row["published"], bad)
    source = _check_source(row["source"], bad)
    sha256 = _check_sha256(row["sha256"], bad)
    if len(problems) > before:
        return None
    assert review_id and nation and review_type and year and source  # guaranteed when no problems
    return ManifestEntry(
        review_id=review_id,
        title=row["title"],
        area=row["area"],
        nation=nation,
        review_type=review_type,
        year=year,
        published=published,
        source=source,
        sha256=sha256,
        notes=row["notes"] or None,
        line=line,
    )


def _check_review_id(value: str, bad: _Report) -> str | None:
    if not value:
        return None
    if not _SLUG_RE.fullmatch(value):
        suggestion = slugify(value)
        bad(
            "review_id",
            f"{value!r} is not a valid id (use only lower-case letters, digits, '.', '_' and '-', "
            "starting with a letter or digit)",
            f"For example use {suggestion!r}, and run again.",
        )
        return None
    return value


def _check_choice(value: str, choices: tuple[str, ...], column: str, bad: _Report) -> str | None:
    if not value:
        return None
    wanted = " ".join(value.split()).casefold()
    for choice in choices:
        if choice.casefold() == wanted:
            return choice
    bad(column, f"{value!r} is not one of {', '.join(choices)}", "Use one of those values and run again.")
    return None


def _review_type_name(value: str) -> str:
    """The short form of a review type written out in full (the names drafting reads off a cover, with or
    without the abbreviation in brackets after them), else the value as it is.

    >>> _review_type_name("Serious Case Review (SCR)"), _review_type_name("LCSPR"), _review_type_name("DHR")
    ('SCR', 'CSPR', 'DHR')
    """
    name = re.sub(r"\s*\([A-Za-z]{2,6}\)$", "", " ".join(value.split())).casefold()
    return next((kind for kind, pattern in _TYPE_PATTERNS if pattern.fullmatch(name)), value)


def _check_year(value: str, bad: _Report) -> int | None:
    if not value:
        return None
    this_year = datetime.date.today().year
    decimal = _DECIMAL_YEAR_RE.fullmatch(value)
    if decimal:
        value = decimal.group(1)
    if not re.fullmatch(r"\d{4}", value):
        bad("year", f"{value!r} is not a year (expected four digits, {MIN_YEAR}-{this_year})")
        return None
    year = int(value)
    if not MIN_YEAR <= year <= this_year:
        bad("year", f"{year} is not a plausible year (expected {MIN_YEAR}-{this_year})")
        return None
    return year


def _check_published(value: str, bad: _Report) -> datetime.date | None:
    if not value:
        return None
    advice = (
        "Write the date as YYYY-MM-DD (e.g. 2021-03-05; if the spreadsheet changes it, format the "
        "column as text), or leave it empty."
    )
    try:
        date = _parse_date(value)
    except ValueError:
        bad("published", f"{value!r} is not a real calendar date", advice)
        return None
    if date is None:
        bad("published", f"{value!r} is not a date in the form YYYY-MM-DD (or day/month/year)", advice)
        return None
    if date > datetime.date.today():
        bad("published", f"{value} is in the future")
        return None
    return date


def _parse_date(value: str) -> datetime.date | None:
    """A date written as YYYY-MM-DD, or as a spreadsheet in the UK writes one (day first); None for text in
    none of these forms. Raises ValueError for a form that is right but a day that does not exist.

    >>> _parse_date("2022-09-05"), _parse_date("05/09/2022"), _parse_date("5.9.2022"), _parse_date("5 Sept 2022")
    (datetime.date(2022, 9, 5), datetime.date(2022, 9, 5), datetime.date(2022, 9, 5), datetime.date(2022, 9, 5))
    >>> _parse_date("September 2022") is None
    True
    """
    if _ISO_DATE_RE.fullmatch(value):
        return datetime.date.fromisoformat(value)
    uk = _UK_DATE_RE.fullmatch(value)
    if uk:
        day, month, year = (int(part) for part in uk.groups())
        return datetime.date(year, month, day)
    for form in _DATE_FORMATS:
        try:
            return datetime.datetime.strptime(value.replace("Sept ", "Sep "), form).date()
        except ValueError:
            continue
    return None


# A link as other programs hand it on: in angle brackets from an e-mail ("<https://...>"), or a spreadsheet's
# formula ('=HYPERLINK("https://...","Child D")'): the link is what is meant.
_BRACKETED_LINK = re.compile(r"<\s*(https?://[^<>\s]+)\s*>", re.IGNORECASE)
_HYPERLINK = re.compile(r'=\s*HYPERLINK\(\s*"([^"]+)"\s*(?:[,;]\s*"[^"]*"\s*)?\)\s*', re.IGNORECASE)


def _unwrapped(value: str) -> str:
    """A source cell's link without the wrapping another program gave it.

    >>> _unwrapped("<https://example.org/a.pdf>"), _unwrapped('=HYPERLINK("https://example.org/a.pdf","Child A")')
    ('https://example.org/a.pdf', 'https://example.org/a.pdf')
    >>> _unwrapped('=HYPERLINK("https://example.org/a.pdf", "Child A (2021)")'), _unwrapped("reviews/a.pdf")
    ('https://example.org/a.pdf', 'reviews/a.pdf')
    """
    for pattern in (_BRACKETED_LINK, _HYPERLINK):
        match = pattern.fullmatch(value.strip())
        if match:
            return match.group(1).strip()
    return value


def _check_source(value: str, bad: _Report) -> str | None:
    if not value:
        return None
    value = _unwrapped(value)  # (a web address without https:// is noted by `manifest check`, not refused)
    problem = _url_problem(value) if _SCHEME_RE.match(value) else _local_source_problem(value)
    if problem:
        bad(
            "source",
            problem,
            "Give an http:// or https:// link, or a file path inside the manifest's folder.",
        )
        return None
    return value


def _url_problem(value: str) -> str | None:
    scheme = _SCHEME_RE.match(value).group(1).lower()  # type: ignore[union-attr]
    if scheme not in ("http", "https"):
        return f"{value!r} uses the unsupported '{scheme}:' scheme (only http and https links are fetched)"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  # raises ValueError on a malformed port
    except ValueError:
        return f"{value!r} is not a valid web address"
    if not parts.hostname:
        return f"{value!r} has no web site name after '{scheme}://'"
    return None


def _local_source_problem(value: str) -> str | None:
    posix = value.replace("\\", "/")
    if value.startswith("~") or PurePosixPath(posix).is_absolute() or PureWindowsPath(value).drive:
        return (
            f"{value!r} is an absolute path; give the path relative to the manifest's folder "
            "(copy the file into that folder if needed)"
        )
    normal = posixpath.normpath(posix)
    if normal == ".." or normal.startswith("../"):
        return (
            f"{value!r} points outside the manifest's folder (via '..'); move the file into the "
            "manifest's folder or a sub-folder of it"
        )
    if normal in (".", ""):
        return f"{value!r} is a folder, not a file"
    return None


def _check_sha256(value: str, bad: _Report) -> str | None:
    if not value:
        return None
    if not _SHA256_RE.fullmatch(value):
        bad(
            "sha256",
            f"{value!r} is not a sha256 checksum (expected 64 characters 0-9 and a-f)",
            "Correct it or leave it empty, and run again.",
        )
        return None
    return value.lower()


# A local path whose first part is a web site's name: www.northmoor.gov.uk/child-d.pdf, written without https://
_SITE_NAME = re.compile(r"^(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:uk|com|org|net|gov|wales|scot|ie|eu|info)(?:/|$)",
                        re.IGNORECASE)


def web_address_meant(source: str) -> str | None:
    """The web address a local path in the source column was probably meant to be, when it starts with a web
    site's name (``www.northmoor.gov.uk/reviews/child-d.pdf``: https:// left out, as spreadsheets often show
    links); else None.

    >>> web_address_meant("www.northmoor.gov.uk/reviews/child-d.pdf")
    'https://www.northmoor.gov.uk/reviews/child-d.pdf'
    >>> web_address_meant("reviews/child-d.pdf") is None, web_address_meant("child-d.pdf") is None
    (True, True)
    """
    source = source.strip()
    return f"https://{source}" if _SITE_NAME.match(source) and "/" in source else None


def _is_http_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


# --------------------------------------------------------------------------- writing


def write_manifest(entries: list[ManifestEntry], path: Path, *, overwrite: bool = False) -> None:
    """Write entries as a manifest CSV (columns in the standard order).

    The file is written with a UTF-8 byte-order mark so spreadsheets show accented
    names correctly; ``load_manifest`` accepts it.

    Parameters
    ----------
    entries : list of ManifestEntry
        Rows to write, in order.
    path : Path
        Destination file.
    overwrite : bool
        Replace an existing file (the CLI's ``--force``).

    Raises
    ------
    ManifestError
        If the file exists and ``overwrite`` is False, or it cannot be written.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise ManifestError(
            f"{path} already exists and was not changed. Choose another file name, "
            "or pass --force to replace it."
        )
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(_entry_cells(e) for e in entries)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, buffer.getvalue().encode("utf-8-sig"))
    except OSError as exc:
        raise ManifestError(f"Could not write the manifest {path}: {exc.strerror or exc}.") from None


def _entry_cells(entry: ManifestEntry) -> list[str]:
    return [
        entry.review_id,
        entry.title,
        entry.area,
        entry.nation,
        entry.review_type,
        str(entry.year),
        entry.published.isoformat() if entry.published else "",
        entry.source,
        entry.sha256 or "",
        entry.notes or "",
    ]




# --------------------------------------------------------------------------- drafting from PDFs

_ACRONYMS = {"cspr", "lcspr", "scr", "cpr", "cmr", "lscb", "lscp", "scp", "nspcc", "uk"}
_TYPE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("CSPR", re.compile(r"\bl?cspr\b|(?:local )?child safeguarding practice review")),
    ("SCR", re.compile(r"\bscr\b|serious case review|significant case review")),
    ("CPR", re.compile(r"\bcpr\b|child practice review")),
    ("CMR", re.compile(r"\bcmr\b|case management review")),
    ("rapid review", re.compile(r"rapid review")),
    ("learning review", re.compile(r"learning review")),
)
_NATION_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Northern Ireland", re.compile(r"northern ireland")),
    ("Wales", re.compile(r"\b(wales|welsh|cymru)\b")),
    ("Scotland", re.compile(r"\b(scotland|scottish)\b")),
)
_AREA_WORDS = re.compile(
    r"\b(partnership|board|council|committee|authority|borough|county|safeguarding|lscb|lscp"
    r"|children'?s trust)\b",
    re.IGNORECASE,
)
# Titles that PDF producers put in by default and that say nothing about the review.
_JUNK_TITLE = re.compile(
    r"^(untitled|microsoft word|document\d*|doc\d*|slide\s*\d*)\b|\.(docx?|pdf|odt)$", re.I
)
_YEAR_RE = re.compile(r"(?<!\d)(20\d{2})(?!\d)")
# Around a year in a file name or title: a reference number before it ("CLRSB 04/2021", the year the review was
# commissioned: one number and a slash, not a date's two), and the other year of a span ("2021/22", "2021-2022").
_REFERENCE_BEFORE = re.compile(r"(?:^|[^\d/.-])\d{1,4}/$")
_DATE_BEFORE = re.compile(r"\d{1,2}[/.-]\d{1,2}[/.-]$")
_SPAN_AFTER = re.compile(r"[/\u2013-](\d{2}|\d{4})(?!\d)")
_SPAN_BEFORE = re.compile(r"(\d{4})[/\u2013-]$")


def named_years(text: str) -> list[int]:
    """The years a file name or title gives, in order: a year alone or in a date, not one in a reference number
    or a span of years.

    >>> named_years("northmoor-2019-child-d"), named_years("2021-03-15 Child F"), named_years("Child F 15-03-2021")
    ([2019], [2021], [2021])
    >>> named_years("Child H (CLRSB 04/2021)"), named_years("annual-2021-22"), named_years("report 2021-2022 v2")
    ([], [], [])
    """
    found = []
    for match in re.finditer(r"(?<!\d)20\d{2}(?!\d)", text):
        year, before, after = int(match.group()), text[:match.start()], text[match.end():]
        span_after = _SPAN_AFTER.match(after)
        if span_after and int(span_after.group(1)) % 100 == (year + 1) % 100 and not _DATE_BEFORE.search(before):
            continue  # the first year of "2021-22" or "2021/2022" (not "2021-03-15", nor "15-03-2021")
        span_before = _SPAN_BEFORE.search(before)
        if span_before and int(span_before.group(1)) == year - 1:
            continue  # the second year of "2021-2022"
        if _REFERENCE_BEFORE.search(before) and not _DATE_BEFORE.search(before):
            continue  # "04/2021"
        found.append(year)
    return found
# On a review's cover: the partnership or board that published it ("Northmoor Safeguarding Children
# Partnership", "Cwm Taf Morgannwg Regional Safeguarding Board", "Dunmore Child Protection Committee")...
_COVER_BODY = (r"(?:(?:Local|Regional|Multi-Agency)\s+)?Safeguarding\s+(?:Children(?:['’][sS])?\s+|Adults\s+and\s+"
               r"Children\s+)?(?:Partnership|Board)|(?:Child|Public)\s+Protection\s+Committee")
_COVER_AREA = re.compile(
    rf"(?<![\w'’-])((?:[A-Z][\w'’.-]*\s+(?:(?:and|&|of|upon|on|in)\s+)?){{1,6}}?)({_COVER_BODY})(?![\w'’-])"
)
# Words that end what a cover line puts before the name ("Prepared by J. Smith for the Northmoor ..."), and
# words that may open the line before a name ("Final report: Northmoor ...").
_COVER_CUT = frozenset("by for to from the".split())
_COVER_LEAD = frozenset("a an of on behalf report review prepared commissioned published presented final local "
                        "regional multi-agency".split())
_SMALL_WORDS = frozenset("and of upon on in".split())
# ... and its date ("March 2022", "Published: 14 March 2022").
_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|december"
           "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec")
_COVER_DATE = re.compile(rf"\b(?:{_MONTHS})\.?,?\s+(20\d{{2}})(?!\d)", re.IGNORECASE)
# ... or a year on a line of its own ("2024", "Published 2024", "Final report: 2024"), as many covers print it;
# a year inside a sentence ("Working Together 2018", "in 2019 the family moved") is not the cover's date.
_COVER_YEAR_LINE = re.compile(r"(?:(?:published|publication|final(?: report)?|date[d]?|issued|version)\b[\s:,-]*)?"
                              r"(20\d{2})", re.IGNORECASE)
# ... or a year closing a short line that names the document ("Learning review 2024", "Child Practice Review –
# 2021", "Annual report 2023"), as a cover's title line or running header often does; not a sentence ("as the
# national review 2020 found": a line in lower case at its start, with a full stop before the year, or of more
# than 12 words).
_COVER_TITLE_YEAR = re.compile(r"(?=(?-i:[A-Z0-9]))(?=(?:\S+\s+){0,11}\S+$)"
                               r"[^.!?]*\b(?:review|report|briefing)\s*[:,\u2013\u2014-]?\s*(20\d{2})", re.IGNORECASE)
COVER_PAGES = 2  # the cover and the page after it (a cover can be a picture with the title on page 2)
COVER_CHARS = 3000


@dataclass
class _Guess:
    """What could be learned about one PDF, and which fields are guesses."""

    title: str | None = None
    area: str | None = None
    year: int | None = None
    year_from: str = ""  # where the year was found: "in its file name", "in its title", "on its cover"
    cover_year: int | None = None  # the latest date written on the cover ("March 2022", "2022" alone)
    published: datetime.date | None = None
    notes: list[str] = field(default_factory=list)
    guessed: list[str] = field(default_factory=list)
    opened: bool = True  # False when the file is not a PDF that opens (damaged, encrypted, another kind)


def manifest_from_folder(folder: Path, *, manifest_path: Path | None = None) -> list[ManifestEntry]:
    """Draft manifest entries for every PDF under ``folder`` (recursively, sorted by path).

    Fields are filled from the PDF's metadata (Title, Author, CreationDate), the
    text of its cover (the partnership named there, its latest date such as "March
    2022", and words that name the review type or nation) and its file name; the
    ``notes`` column says which fields are guesses so the user can check them.
    Unreadable or encrypted PDFs still get a row, built from the file name.

    Parameters
    ----------
    folder : Path
        Folder holding the review PDFs.
    manifest_path : Path, optional
        Where the manifest will be written (default ``folder/manifest.csv``); sources
        are made relative to its folder, so the PDFs must be inside that folder.

    Returns
    -------
    list of ManifestEntry
        One entry per PDF, with unique review ids; pass them to ``write_manifest``.

    Raises
    ------
    ManifestError
        If ``folder`` does not exist, holds no PDF, or is outside the manifest's folder.
    """
    folder = Path(folder).resolve()
    if not folder.is_dir():
        raise ManifestError(f"Folder not found: {folder}. Give the folder that holds the review PDFs.")
    base = Path(manifest_path).resolve().parent if manifest_path else folder
    if not folder.is_relative_to(base):
        raise ManifestError(
            f"The PDFs in {folder} are outside the manifest's folder {base}. Save the manifest in {folder} "
            "or one of the folders above it."
        )
    pdfs = _find_pdfs(folder)
    if not pdfs and (odd := unreadable_names(folder)):
        raise ManifestError(
            f"The PDFs in {folder} have names this system cannot read as text ({', '.join(odd[:3])}"
            f"{', ...' if len(odd) > 3 else ''}: saved on an older system, or copied from a Windows share). Rename "
            "them (retyping the accented letters is enough) and run again."
        )
    if not pdfs:
        others = documents_not_pdf(folder)
        also = (f" It holds {len(others)} document{'s' if len(others) != 1 else ''} in another form "
                f"({', '.join(p.name for p in others[:3])}{', ...' if len(others) > 3 else ''}): open "
                f"{'each' if len(others) != 1 else 'it'} and save it as a PDF in the folder." if others else "")
        raise ManifestError(
            f"No PDF files in {folder} or the folders inside it, so there is nothing to list. Put the review "
            f"PDFs (files ending in .pdf) in the folder and run again.{also}"
        )
    entries: list[ManifestEntry] = []
    used: set[str] = set()
    for index, pdf in enumerate(pdfs):
        entries.append(_draft_entry(pdf, base, line=index + 2, used=used))
    return entries


@dataclass
class FolderAdditions:
    """What ``add_new_pdfs`` found: the manifest's rows as they were followed by the new ones (``entries``),
    the new ones alone (``added``), new files left out as copies of a file already listed or added (each with
    the source it copies), and listed rows whose local file is no longer there (``gone``; kept, for the user to
    decide)."""

    entries: list[ManifestEntry]
    added: list[ManifestEntry]
    copies: list[tuple[ManifestEntry, str]]
    gone: list[ManifestEntry]


def add_new_pdfs(folder: Path, manifest: Manifest) -> FolderAdditions:
    """Draft a row for each PDF under ``folder`` that ``manifest`` does not list yet, keeping its own rows as they
    are (the corrections made to them by hand included), as ``manifest_from_folder`` drafts them; a new file that
    is byte for byte a listed one ("review (1).pdf") is left out.

    Raises
    ------
    ManifestError
        If ``folder`` is outside the manifest's folder, or does not exist.
    """
    folder = Path(folder).resolve()
    base = manifest.folder
    if not folder.is_dir():
        raise ManifestError(f"Folder not found: {folder}. Give the folder that holds the review PDFs.")
    if not folder.is_relative_to(base):
        raise ManifestError(f"The PDFs in {folder} are outside the folder of {manifest.path} ({base}), so it "
                            "cannot list them. Move them into that folder, or write a manifest of their own.")
    listed = dict((path, entry) for entry, path in _local_files(manifest))
    gone = [entry for path, entry in listed.items() if file_state(path) != "file"]
    known: dict[str, str] = {}  # checksum -> the listed source with those bytes
    for path, entry in listed.items():
        readable = file_state(path) == "file"
        sha = entry.sha256.strip().lower() if entry.sha256 else (_file_sha256(path) if readable else None)
        if sha:
            known.setdefault(sha, entry.source)
    used = {entry.review_id for entry in manifest.entries}
    drafted = [_draft_entry(pdf, base, line=0, used=used) for pdf in _find_pdfs(folder) if pdf.resolve() not in listed]
    copies = [(entry, known[entry.sha256]) for entry in drafted if entry.sha256 in known]
    fresh, among_new = drop_copies([entry for entry in drafted if entry.sha256 not in known])
    copies += [(copy, original.source) for copy, original in among_new]
    if not fresh:  # the file is left as it is: its own line numbers hold
        return FolderAdditions(list(manifest.entries), [], copies, gone)
    # the manifest is written again, a row a line from line 2 (blank lines gone): every row's line is where it
    # will be
    written = [dataclasses.replace(entry, line=index + 2) for index, entry in enumerate([*manifest.entries, *fresh])]
    moved = {id(old): new for old, new in zip([*manifest.entries, *fresh], written, strict=True)}
    return FolderAdditions(written, [moved[id(entry)] for entry in fresh], copies,
                           [moved[id(entry)] for entry in gone])


def repeated_sources(entries: list[ManifestEntry]) -> list[tuple[str, list[int]]]:
    """Sources that more than one row lists, with their lines: each row would be stored as a review of its
    own, so the document's passages would be found and counted twice. Usually a link pasted twice.

    >>> rows = [ManifestEntry("a", "A", "X", "England", "CSPR", 2020, None, "r/a.pdf", None, None, 2),
    ...         ManifestEntry("b", "B", "X", "England", "CSPR", 2020, None, "r/./a.pdf", None, None, 3)]
    >>> repeated_sources(rows)
    [('r/a.pdf', [2, 3])]
    """
    lines: dict[str, list[int]] = {}
    for entry in entries:
        source = entry.source.strip()
        key = source.split("#", 1)[0] if _SCHEME_RE.match(source) else posixpath.normpath(source.replace("\\", "/"))
        lines.setdefault(key, []).append(entry.line)
    return [(source, found) for source, found in lines.items() if len(found) > 1]


# What missing_files gives for a source that names a folder, a named pipe or device, a symbolic link that leads
# round to itself, or a file the system cannot open (a name too long), instead of a file of a name like it.
FOLDER, SPECIAL_FILE, LINKED_IN_A_LOOP, UNOPENABLE = "<a folder>", "<not a file>", "<a link loop>", "<cannot open>"
_NOT_FILES = {"folder": FOLDER, NOT_A_FILE: SPECIAL_FILE, LINK_LOOP: LINKED_IN_A_LOOP, CANNOT_OPEN: UNOPENABLE}


def missing_files(manifest: Manifest) -> list[tuple[ManifestEntry, str | None]]:
    """The rows whose local file is not there, each with the file of the closest name in the folder it names
    (a different case, a space for a hyphen, the extension left out), ``FOLDER`` when the source names a
    folder (``SPECIAL_FILE``, ``LINKED_IN_A_LOOP``, ``UNOPENABLE``: a named pipe or device, a symbolic link
    leading round to itself, a file the system cannot open), or None. A run records such rows as failed;
    checking first saves a run that stops short of what was wanted.
    """
    found: list[tuple[ManifestEntry, str | None]] = []
    for entry, path in _local_files(manifest):
        state = file_state(path)
        if state == "file":
            continue
        if state in _NOT_FILES:
            found.append((entry, _NOT_FILES[state]))
            continue
        near = closest_file(path)
        if near is not None:
            folder = posixpath.dirname(entry.source.replace("\\", "/"))
            near = posixpath.join(folder, near) if folder else near
        found.append((entry, near))
    return found


def files_that_are_not_pdfs(manifest: Manifest) -> list[tuple[ManifestEntry, str]]:
    """The rows whose local file is there but is not a PDF, each with what it is ("a Word document (.docx)",
    "a web page"): a run records such rows as failed, so checking first says which files to convert."""
    from pipeline.filekinds import what_it_is

    found: list[tuple[ManifestEntry, str]] = []
    for entry, path in _local_files(manifest):
        kind = what_it_is(path) if file_state(path) == "file" else None
        if kind:
            found.append((entry, kind))
    return found


# Review types that belong to one nation: a row giving another nation has one of the two wrong.
_TYPE_NATION = {"CSPR": "England", "rapid review": "England", "CPR": "Wales", "CMR": "Northern Ireland"}
# What `manifest from-folder` writes where the PDF did not say (see _fill_from_file_name).
_PLACEHOLDER_AREA = "unknown"
_PLACEHOLDER_YEAR_NOTE = "year unknown: fill it in"
# A year only the PDF's own date gave: the day the file was saved, often years after the review was published.
_SAVED_YEAR_NOTE = "year only from the date the PDF was saved: check it"


def unfinished_rows(manifest: Manifest) -> list[ManifestEntry]:
    """The rows that still hold a value ``manifest from-folder`` put in for one it could not find: the area
    "unknown", or a year put in for now (its note says so)."""
    return [entry for entry in manifest.entries if _placeholder_area(entry) or _placeholder_year(entry)]


def _placeholder_area(entry: ManifestEntry) -> bool:
    return entry.area.strip().lower() == _PLACEHOLDER_AREA


def _placeholder_year(entry: ManifestEntry) -> bool:
    return _PLACEHOLDER_YEAR_NOTE in (entry.notes or "")


def rows_to_check(manifest: Manifest) -> list[tuple[ManifestEntry, str]]:
    """Rows that are valid but likely wrong, each with what to check: a placeholder `manifest from-folder`
    left (area "unknown", a year it could not find), a publication date before the review's year, a review
    type of another nation, or a local file that no longer matches its sha256. Summaries and trends go by
    area and year, so such a slip puts a review in the wrong place without any error."""
    found: list[tuple[ManifestEntry, str]] = []
    for entry in manifest.entries:
        if _placeholder_area(entry):
            found.append((entry, "the area is 'unknown': fill in the partnership or local authority (summaries "
                                 "go by area)"))
        if _placeholder_year(entry):
            found.append((entry, f"the year was not found in the PDF, and {entry.year} was put in for now (the "
                                 "notes column says so): fill in the review's year, then delete that note"))
        if _SAVED_YEAR_NOTE in (entry.notes or ""):
            found.append((entry, f"the year {entry.year} is only the date the PDF was saved (its name, title and "
                                 "cover give none), which can be years after the review was published: check it, "
                                 "then delete that note"))
        if entry.published is not None and entry.published.year < entry.year:
            found.append((entry, f"published {entry.published:%d/%m/%Y}, before the review's year {entry.year}: "
                                 "check which is right (summaries and trends go by the year)"))
        nation = _TYPE_NATION.get(entry.review_type)
        if nation and entry.nation != nation:
            found.append((entry, f"a {entry.review_type} is a review of {nation}, but the nation is "
                                 f"{entry.nation}: check which is right"))
    for entry, path in _local_files(manifest):
        if entry.sha256 and file_state(path) == "file" and _file_sha256(path) != entry.sha256.strip().lower():
            found.append((entry, "the file has changed since its sha256 was written, so a run will refuse it: if "
                                 "the new file is right, empty the sha256 cell"))
    return sorted(found, key=lambda pair: pair[0].line)


def _local_files(manifest: Manifest) -> Iterator[tuple[ManifestEntry, Path]]:
    """The rows whose source is a local file, with its path (rows whose path is refused are left to the row
    checks, which report them)."""
    for entry in manifest.entries:
        if entry.is_url():
            continue
        try:
            yield entry, entry.local_path(manifest.folder)
        except ManifestError:
            continue


# The name a browser or a file manager gives a second copy of a file: "review (1)", "review - Copy", "Copy of review".
_COPY_NAME = re.compile(r"\s*\(\d+\)$|[\s_-]+copy(?:\s*\(?\d+\)?)?$|^copy of\b", re.IGNORECASE)


def drop_copies(entries: list[ManifestEntry]) -> tuple[list[ManifestEntry], list[tuple[ManifestEntry, ManifestEntry]]]:
    """Leave out the entries whose file is a byte-for-byte copy of another entry's ("review (1).pdf", saved
    twice by a browser): listed twice, a review's passages would be found and counted twice. Of identical
    files the one whose name is not a copy's ("review (1).pdf", "review - Copy.pdf", "Copy of review.pdf") is
    kept, wherever it is, then the one with the shortest source (the first of them, when as short).

    Returns
    -------
    tuple
        The entries kept, in their order (line numbers renumbered), and (copy left out, entry kept) pairs.
    """
    def rank(entry: ManifestEntry) -> tuple[bool, int]:
        return bool(_COPY_NAME.search(Path(entry.source).stem)), len(entry.source)

    keeper: dict[str, ManifestEntry] = {}
    for entry in entries:
        if entry.sha256 and (entry.sha256 not in keeper or rank(entry) < rank(keeper[entry.sha256])):
            keeper[entry.sha256] = entry
    kept: list[ManifestEntry] = []
    copies: list[tuple[ManifestEntry, ManifestEntry]] = []
    for entry in entries:
        original = keeper.get(entry.sha256) if entry.sha256 else None
        if original is not None and original is not entry:
            copies.append((entry, original))
        else:
            kept.append(dataclasses.replace(entry, line=len(kept) + 2))
    return kept, copies


# Files that may be a review in another form: listed by ``manifest from-folder``, which takes PDFs only.
_OTHER_DOCUMENTS = frozenset({".doc", ".docx", ".docm", ".odt", ".rtf", ".ppt", ".pptx", ".odp", ".pages", ".zip"})


def documents_not_pdf(folder: Path) -> list[Path]:
    """The files in ``folder`` (and the folders inside it) that may be reviews in another form than PDF (Word,
    OpenDocument, Rich Text, PowerPoint, Pages, ZIP), which a manifest cannot use as they are; sorted."""
    folder = Path(folder)
    found = (p for p in folder.rglob("*") if p.suffix.lower() in _OTHER_DOCUMENTS and p.is_file())
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix().lower())


def _find_pdfs(folder: Path) -> list[Path]:
    found = (p for p in folder.rglob("*")
             if p.suffix.lower() == ".pdf" and p.is_file() and not _unreadable_name(p, folder))
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix().lower())


def _unreadable_name(path: Path, folder: Path) -> bool:
    """Whether the file's name, as the manifest would give it (from ``folder``), is not text this system can
    write (bytes that are not UTF-8, from a file saved on an older system or copied from a Windows share)."""
    try:
        path.relative_to(folder).as_posix().encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def readable_form(name: str) -> str:
    """A file name as people would read it, when its bytes are not UTF-8 (most often Windows' encoding).

    >>> readable_form(os.fsdecode(b"caf\\xe9-review.pdf"))
    'café-review.pdf'
    """
    raw = os.fsencode(name)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def unreadable_names(folder: Path) -> list[str]:
    """The PDFs under ``folder`` that ``manifest_from_folder`` leaves out because their names are not text this
    system can write (see ``_unreadable_name``), as people would read them."""
    return sorted(readable_form(p.relative_to(folder).as_posix()) for p in Path(folder).rglob("*")
                  if p.suffix.lower() == ".pdf" and _unreadable_name(p, Path(folder)) and p.is_file())


def _draft_entry(pdf: Path, base: Path, *, line: int, used: set[str]) -> ManifestEntry:
    guess = _Guess()
    meta, cover = _read_pdf_details(pdf, guess)
    _fill_from_metadata(meta, guess)
    _fill_from_cover(cover, guess)
    _fill_from_file_name(pdf, guess)
    # Sub-folder names count too: people often sort reviews into folders such as "wales/".
    folders = " ".join(pdf.relative_to(base).parent.parts)
    words = " ".join(filter(None, [folders, pdf.stem, guess.title, meta.get("Author")]))
    words = re.sub(r"[_\-.]+", " ", words)
    # The cover's own words count only where the names and details say nothing: its second page may
    # mention another nation or the national panel in passing.
    review_type = _guess_review_type(words)
    if review_type == "other":
        review_type = _guess_review_type(cover)
    nation = _guess_nation(words, cover, review_type, guess)
    if review_type == "other":
        guess.guessed.append("review_type")
    if guess.published is not None:
        guess.guessed.append("published")
    notes = []
    if guess.guessed:
        notes.append("guessed, please check: " + ", ".join(dict.fromkeys(guess.guessed)))
    notes.extend(guess.notes)
    return ManifestEntry(
        review_id=_unique_id(slugify(pdf.stem), used),
        title=guess.title or pdf.stem,
        area=guess.area or _PLACEHOLDER_AREA,
        nation=nation,
        review_type=review_type,
        year=guess.year or datetime.date.today().year,
        published=guess.published,
        source=pdf.relative_to(base).as_posix(),
        # no checksum for a file that is not a readable PDF: it is to be replaced, and the new file must not be
        # refused for differing from the broken one
        sha256=_file_sha256(pdf) if guess.opened else None,
        notes="; ".join(notes) or None,
        line=line,
    )


def _printable(value: str) -> str:
    """A metadata value without control characters (a NUL in a Title made the manifest a "binary file"), spaces
    made single.

    >>> _printable("Caf\\u00e9 title \\x00 nul\\t ")
    'Café title nul'
    """
    return " ".join(controls_as_spaces(value).split())


def _read_pdf_details(pdf: Path, guess: _Guess) -> tuple[dict[str, str], str]:
    """The PDF's document information (Title, Author, CreationDate...) and the text of its cover pages."""
    # Imported here so loading a manifest never pays for the PDF engine; pypdfium2 rather than
    # pypdf because it is a runtime dependency (pypdf is only in the dev extras).
    import pypdfium2 as pdfium

    from pipeline.filekinds import what_it_is

    kind = what_it_is(pdf)
    if kind:
        guess.notes.append(f"not a PDF but {kind} (save it as a PDF, or replace it with the review PDF): all "
                           "fields guessed from the file name")
        guess.opened = False
        return {}, ""
    try:
        doc = pdfium.PdfDocument(str(pdf))
    except pdfium.PdfiumError as exc:
        reason = "encrypted" if "password" in str(exc).lower() else "damaged or not a PDF"
        guess.notes.append(f"PDF could not be opened ({reason}): all fields guessed from the file name")
        guess.opened = False
        return {}, ""
    try:
        try:
            meta = {k: _printable(v) for k, v in doc.get_metadata_dict(skip_empty=True).items() if v and _printable(v)}
        except Exception:  # noqa: BLE001  # odd metadata must never stop drafting the other rows
            meta = {}
        return meta, _cover_text(doc)
    finally:
        doc.close()


def _cover_text(doc: Any) -> str:
    """The text of the first pages (empty for a scanned cover, or when a page cannot be read)."""
    texts = []
    try:
        for index in range(min(COVER_PAGES, len(doc))):
            page = doc[index]
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
            page.close()
    except Exception:  # noqa: BLE001  # a damaged page must never stop drafting the other rows
        pass
    return "\n".join(texts)[:COVER_CHARS]


def _title_case(line: str) -> str:
    """A line in capitals as a cover would print it in lower case: "CHILDREN'S" -> "Children's", "AND" -> "and"."""
    return re.sub(r"[^\W\d_]+(?:['’][^\W\d_]+)?", lambda m: m.group(0).lower() if m.group(0).lower() in _SMALL_WORDS
                  else m.group(0).capitalize(), line)


def _fill_from_cover(cover: str, guess: _Guess) -> None:
    """The partnership named on the cover (when the PDF's Author did not name one) and the cover's date."""
    lines = [" ".join(line.split()) for line in cover.splitlines()]
    if guess.area is None:
        for line in lines:
            # A cover in capitals ("NORTHMOOR SAFEGUARDING CHILDREN PARTNERSHIP") is read in title case.
            match = _COVER_AREA.search(_title_case(line) if line.isupper() else line)
            if match is None:
                continue
            name = match.group(1).split()
            cuts = [i for i, word in enumerate(name) if word.lower() in _COVER_CUT]
            name = name[cuts[-1] + 1:] if cuts else name  # "... For Northmoor" -> "Northmoor"
            while name and name[0].lower() in _COVER_LEAD:  # "Final Report Northmoor" -> "Northmoor"
                name = name[1:]
            if name:  # a place before the body: not "the Local Safeguarding Children Board" alone
                guess.area = " ".join([*name, *match.group(2).split()])
                guess.guessed.append("area")
                break
    this_year = datetime.date.today().year
    found = _COVER_DATE.findall(" ".join(lines)) + [m.group(1) for line in lines
                                                     if (m := _COVER_YEAR_LINE.fullmatch(line)
                                                         or _COVER_TITLE_YEAR.fullmatch(line))]
    years = [int(y) for y in found if GUESS_MIN_YEAR <= int(y) <= this_year]
    if years:
        guess.cover_year = max(years)  # the publication date is the latest on a cover


def _fill_from_metadata(meta: dict[str, str], guess: _Guess) -> None:
    title = meta.get("Title")
    if title and len(title) >= 4 and not _JUNK_TITLE.search(title):
        guess.title = title
    author = meta.get("Author")
    if author and _AREA_WORDS.search(author):
        guess.area = author
        guess.guessed.append("area")
    created = _parse_pdf_date(meta.get("CreationDate", ""))
    if created is not None:
        guess.published = created


def _parse_pdf_date(value: str) -> datetime.date | None:
    """Parse a PDF date such as ``D:20190314120000+00'00'``; None when absent or implausible."""
    match = re.match(r"^(?:D:)?(\d{4})(\d{2})?(\d{2})?", value.strip())
    if not match:
        return None
    try:
        date = datetime.date(int(match.group(1)), int(match.group(2) or 1), int(match.group(3) or 1))
    except ValueError:
        return None
    if date.year < GUESS_MIN_YEAR or date > datetime.date.today():
        return None
    return date


def _fill_from_file_name(pdf: Path, guess: _Guess) -> None:
    stem_words = [w for w in re.split(r"[\s_\-.]+", pdf.stem) if w]
    this_year = datetime.date.today().year
    name_years = [y for y in named_years(pdf.stem) if GUESS_MIN_YEAR <= y <= this_year]
    title_years = [y for y in named_years(guess.title or "") if GUESS_MIN_YEAR <= y <= this_year]
    if name_years:
        guess.year, guess.year_from = name_years[0], "in its file name"
    elif title_years:
        guess.year, guess.year_from = title_years[0], "in its title"
    elif guess.cover_year is not None:
        guess.year, guess.year_from = guess.cover_year, "on its cover"
    elif guess.published is not None:
        guess.year = guess.published.year
        guess.notes.append(_SAVED_YEAR_NOTE)
    if guess.year is None:
        guess.notes.append(f"{_PLACEHOLDER_YEAR_NOTE} (the current year was put in for now)")
    else:
        guess.guessed.append("year")
    if guess.published is not None and guess.year is not None and guess.published.year != guess.year:
        # the PDF's creation date is that of a later save, not the publication: the year came from its name or cover
        guess.notes.append(f"published left empty: the PDF's own date ({guess.published:%Y-%m-%d}) is not in the "
                           f"year {guess.year} found {guess.year_from}")
        guess.published = None
    if guess.title is None:
        guess.title = " ".join(w.upper() if w.lower() in _ACRONYMS else w.capitalize() for w in stem_words)
        guess.guessed.append("title")
    if guess.area is None:
        guess.area = _area_from_words(stem_words)
        if guess.area is None:
            guess.notes.append("area unknown: fill it in")
        else:
            guess.guessed.append("area")


# Words that open a file name about the child or the document, not a place: "Child E 2020", "Final report 2021".
_PERSON_WORDS = frozenset("child children baby infant family young person sibling siblings adult mother father".split())
_NOT_A_PLACE = _PERSON_WORDS | frozenset("review report learning rapid serious significant case practice final summary "
                                         "draft executive overview the a an lit literature research brief briefing "
                                         "guide guidance study evaluation findings lessons thematic".split())
# Acronyms in a file name that follow a title rather than a place: the publisher, the country.
_NOT_AFTER_A_PLACE = frozenset({"nspcc", "uk"})


def _area_from_words(words: list[str]) -> str | None:
    """Take the words before the first year ("northmoor-2019-child-d" -> "Northmoor"), unless they name the child
    or the document ("Child E 2020").

    >>> _area_from_words(["northmoor", "2019", "child", "d"]), _area_from_words(["Child", "E", "2020"])
    ('Northmoor', None)
    >>> _area_from_words(["Reunification", "lit", "review", "2015"]), _area_from_words("Home again NSPCC".split())
    (None, None)
    >>> _area_from_words(["Westshire", "SCR", "Child", "A"]), _area_from_words("Kent Baby B CSPR 2022".split())
    ('Westshire', 'Kent')
    >>> _area_from_words("Telford and Wrekin Child Q 2020".split())
    'Telford and Wrekin'
    """
    lead: list[str] = []
    for word in words:
        if _YEAR_RE.fullmatch(word) or word.lower() in _ACRONYMS:
            if word.lower() in _NOT_AFTER_A_PLACE:  # "Home again NSPCC report": a publisher, not a review type
                return None
            break
        lead.append(word)
    else:
        return None  # no year or review type after the words: nothing says they are a place
    person = next((i for i, word in enumerate(lead) if word.lower() in _PERSON_WORDS), len(lead))
    lead = lead[:person]  # "Northmoor Child D 2019": the place, then the child
    if not lead or any(word.lower() in _NOT_A_PLACE for word in lead):
        return None  # (a document's words anywhere: "Reunification lit review 2015")
    return " ".join(w.lower() if i and w.lower() in ("and", "of", "upon", "on") else w.capitalize()
                    for i, w in enumerate(lead))  # "Telford and Wrekin", "Kingston upon Thames"


def _guess_review_type(words: str) -> str:
    text = words.lower()
    for review_type, pattern in _TYPE_PATTERNS:
        if pattern.search(text):
            return review_type
    return "other"


def _mentioned_nation(words: str) -> str | None:
    text = words.lower()
    return next((nation for nation, pattern in _NATION_PATTERNS if pattern.search(text)), None)


# The kind of body that publishes reviews in one nation only: a Scottish child protection committee, a Welsh
# regional safeguarding board, an English safeguarding children partnership (since 2019).
_BODY_NATIONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Scotland", re.compile(r"\b(?:child|public) protection committee\b", re.IGNORECASE)),
    ("Wales", re.compile(r"\bregional safeguarding (?:children )?board\b", re.IGNORECASE)),
    ("Northern Ireland", re.compile(r"\bsafeguarding board for northern ireland\b|\bsbni\b", re.IGNORECASE)),
    ("England", re.compile(r"\bsafeguarding children(?:['’]s)? partnership\b|\blscp\b", re.IGNORECASE)),
)


def _guess_nation(words: str, cover: str, review_type: str, guess: _Guess) -> str:
    """The review's nation: one named in its file or folder name, title or author ("wales/", "Scottish
    Government"); else the one its review type or its partnership's kind of body belongs to (a child
    practice review is Welsh, a child protection committee Scottish); else one its cover names; else England,
    with a note. A nation the cover names only in passing ("returned to her home in Scotland") does not
    outweigh the body that published the review."""
    nation = _mentioned_nation(words)
    if nation is not None:
        guess.guessed.append("nation")
        return nation
    nation = _TYPE_NATION.get(review_type) or next(
        (nation for nation, pattern in _BODY_NATIONS if pattern.search(guess.area or "")), None)
    if nation is not None:
        guess.guessed.append("nation")
        return nation
    nation = _mentioned_nation(cover)
    if nation is not None:
        guess.guessed.append("nation")
        return nation
    guess.notes.append("nation guessed: check")
    return "England"


def slugify(text: str) -> str:
    """Turn text into a review id: lower-case letters, digits, '.', '_' and '-'.

    Parameters
    ----------
    text : str
        Any text, e.g. a file name without its extension.

    Returns
    -------
    str
        The slug (``"review"`` when nothing usable is left).
    """
    slug = re.sub(r"[^a-z0-9._-]+", "-", text.lower())
    slug = re.sub(r"-{2,}", "-", slug).strip("-._")
    return slug or "review"


def _unique_id(base: str, used: set[str]) -> str:
    candidate, n = base, 1
    while candidate in used:
        n += 1
        candidate = f"{base}-{n}"
    used.add(candidate)
    return candidate


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in _chunks(fh):
            digest.update(chunk)
    return digest.hexdigest()


def _chunks(fh: io.BufferedIOBase) -> Iterable[bytes]:
    while chunk := fh.read(_HASH_CHUNK):
        yield chunk
