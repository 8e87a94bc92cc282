"""Writing a table of passages to a file people open: CSV (with a provenance sidecar), Excel or Markdown.

Shared by ``casereview export`` (the evidence for a theme) and ``casereview search --out`` (search results).
Every file says where it came from: a second sheet for Excel, a header block for Markdown, and for CSV a
sidecar file ``NAME.provenance.json`` (comment lines would break spreadsheets).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.errors import CaseReviewError
from pipeline.files import controls_as_spaces

FORMATS: tuple[str, ...] = ("csv", "xlsx", "md")

# What each column of the tables the commands write holds, for the people who open them: an Excel file has them
# in a sheet "Columns" and on its header cells, a CSV file in its provenance sidecar. A column has one name and
# one meaning in every table it is in.
COLUMN_MEANINGS: dict[str, str] = {
    "rank": "Place in the results, in the order the provenance names (sorted_by): best first, or in page order.",
    "review": "The review's title.",
    "review_id": "The review's id in the manifest and the database (reviews.review_id).",
    "area": "The safeguarding partnership or board that published the review.",
    "nation": "England, Wales, Scotland or Northern Ireland.",
    "review_type": "The kind of review: CSPR, SCR, CPR, learning review, CMR, rapid review or other.",
    "year": "The year the review was published (or, where the manifest says so, completed).",
    "pages": "The pages of the PDF the passage is on (the PDF's own numbering, from 1).",
    "printed_pages": "The page numbers printed on those pages, where the document prints them (empty otherwise): "
                     "cite these in a briefing.",
    "printed_page": "The page number printed on that page, where the document prints one (empty otherwise).",
    "page": "The page of the PDF that the finding's first passage starts on.",
    "section": "The heading the passage is under, after the headings above it, whole: Findings › Finding 1: The "
               "plan drifted › Why this matters.",
    "quote": "The sentence of the passage that shows the theme best (its evidence), or the start of the passage.",
    "quote_is": "What the quote is: the evidence sentence, what it scores on its own when that is well below the "
                "passage's probability, and whether its page was read by OCR (check such words against the PDF).",
    "quote_probability": "What the quoted sentence scores on its own for the theme (0-1).",
    "probability": "The theme model's probability that the passage is about the theme (0-1, never 1): a pointer "
                   "to read the passage, not a count to publish.",
    "weak_tag": "yes when the probability is under 50%: the model rates the tag nearer a coin toss than likely, so "
                "read the passage before counting it (export --min-score 0.5 leaves such tags out).",
    "model_version": "The theme model that made the tag (its folder name and weights hash).",
    "theme_model": "The theme model that made the passage's tags (its folder name and weights hash).",
    "passage_id": "The passage's id (passages.passage_id): the same passage keeps it on every run.",
    "passage": "The passage's whole text.",
    "matched": "The part of the passage around the words searched for.",
    "themes": "The learning themes the passage is tagged with, with the model's probability for each.",
    "score": "How the passage was ranked: a keyword match score, or a theme probability (score_is says which).",
    "score_is": "What score is: a keyword match score (BM25: higher is a closer match, not a probability) or the "
                "theme's probability.",
    "read_by_ocr": "Said when a page of the passage was read by OCR: check its words against the PDF.",
    "finding": "The finding as the review's heading states it.",
    "theme": "The learning theme's id (models/taxonomy.yaml).",
    "theme_name": "The learning theme's name.",
    "reviews_with_theme": "Reviews of that year with at least one passage tagged with the theme.",
    "reviews_in_year": "Reviews of that year that were read.",
    "few_reviews": "True when fewer than 5 reviews were read that year: its shares can swing widely.",
    "share_of_reviews": "reviews_with_theme out of reviews_in_year (0-1).",
    "passages_with_theme": "Passages of that year's reviews tagged with the theme.",
    "passages_in_year": "Passages of that year's reviews.",
    "share_of_passages": "passages_with_theme out of passages_in_year (0-1).",
    "passages_found": "The review's passages that the search found (they hold the words searched for, or carry the "
                      "theme, and pass the filters).",
    "review_passages": "The review's passages in all, as read: what passages_found is out of.",
    "line": "The line of the file of searches the search is on.",
    "search": "The search's name in the file of searches (the search itself where it has no name).",
    "query": "What was searched, as written in the file (words, \"phrases\", AND, OR, brackets, -words left out).",
    "passages_matching": "Passages that match the search and pass the filters, all of them (not only those saved).",
    "reviews_with_passages": "Reviews read with at least one passage that matches.",
    "reviews_read": "Reviews read (that the filters keep): what reviews_with_passages is out of.",
    "note": "What to know about how the search was read: its operators, and words no passage uses.",
}


def column_meanings(columns: Sequence[str]) -> dict[str, str]:
    """The meaning of each of ``columns`` that ``COLUMN_MEANINGS`` knows, in their order.

    >>> column_meanings(["review", "nothing"])
    {'review': "The review's title."}
    """
    return {column: COLUMN_MEANINGS[column] for column in columns if column in COLUMN_MEANINGS}


def table_format(fmt: str | None, out: Path | None, example: str = "evidence.xlsx") -> str:
    """The format to write: ``fmt`` if given, else from ``out``'s suffix, else CSV. A file name that does
    not end in .csv, .xlsx or .md, or that says another format than ``fmt``, is refused: a CSV written into
    ``evidence.docx`` or ``evidence.xlsx`` would not open.

    >>> table_format(None, Path("x.xlsx")), table_format("MD", None), table_format(None, None)
    ('xlsx', 'md', 'csv')
    >>> table_format("csv", Path("x.xlsx"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    pipeline.errors.CaseReviewError: --out x.xlsx says Excel but --format says csv: name the file x.csv, or ...
    """
    by_suffix = {"csv": "csv", "xlsx": "xlsx", "md": "md", "markdown": "md"}
    named = by_suffix.get(out.suffix.lower().lstrip(".")) if out is not None else None
    if out is not None and named is None:
        raise CaseReviewError(f"--out {out}: name the file .csv, .xlsx (Excel) or .md (Markdown), which says how "
                              "to save the table")
    if fmt is not None and named is not None and fmt.lower() != named:
        kinds = {"csv": "CSV", "xlsx": "Excel", "md": "Markdown"}
        raise CaseReviewError(f"--out {out} says {kinds[named]} but --format says {fmt}: name the file "
                              f"{out.with_suffix('.' + fmt.lower()).name}, or leave --format out")
    fmt = (fmt or named or "csv").lower()
    if fmt not in FORMATS:
        raise CaseReviewError(f"unknown format '{fmt}': use one of {', '.join(FORMATS)}")
    if fmt == "xlsx" and out is None:
        raise CaseReviewError(f"an Excel file needs a file name: add --out {example}")
    return fmt


@contextmanager
def writing(out: Path, option: str = "--out") -> Iterator[Path]:
    """Around writing the file ``out`` (and any file beside it): its folder is made if missing, and a failure
    to write becomes an error that names the file and says what to do, not a traceback. On Windows a file
    open in Excel cannot be written, the likeliest failure of all. ``option`` is the option that named the file.

    >>> with writing(Path("/proc/casereview-test/out.xlsx")):  # doctest: +ELLIPSIS
    ...     pass
    Traceback (most recent call last):
    pipeline.errors.CaseReviewError: /proc/casereview-test/out.xlsx: cannot write this file (...): ...
    """
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        yield out
    except IsADirectoryError as exc:
        raise CaseReviewError(f"{exc.filename or out} is a folder: give a file name inside it, "
                              f"e.g. {Path(exc.filename or out) / ('results' + out.suffix)}") from exc
    except OSError as exc:
        at = f" at {exc.filename}" if exc.filename and Path(exc.filename) != out else ""
        if isinstance(exc, PermissionError):
            raise CaseReviewError(f"{out}: cannot write this file (permission denied{at}). If it is open in Excel "
                                  "or another program, close it and run the command again; otherwise choose a folder "
                                  f"you may write to, or another file name with {option}.") from exc
        raise CaseReviewError(f"{out}: cannot write this file ({(exc.strerror or str(exc)).lower()}{at}): check that "
                              "the folder can be made and written to and that the disk is not full, or give "
                              f"another file name with {option}.") from exc


def write_csv(table: pd.DataFrame, info: dict[str, Any], out: Path, *, describe: bool = True) -> Path:
    """Write the table as CSV (UTF-8 with a byte-order mark, so that Excel shows accents and curly quotes; a text
    cell a spreadsheet would run as a formula made plain text, :func:`formula_safe`) and
    its provenance beside it as ``NAME.provenance.json``, with what each column holds (``describe``: the table
    is one of the commands' own, whose column names ``COLUMN_MEANINGS`` knows); returns the sidecar's path."""
    sidecar = out.with_name(out.name + ".provenance.json")
    described = {**info, "columns": column_meanings(list(table.columns))} if describe else info
    with writing(out):
        table.map(formula_safe).to_csv(out, index=False, encoding="utf-8-sig")
        sidecar.write_text(json.dumps(described, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    return sidecar


def write_xlsx(table: pd.DataFrame, info: dict[str, Any], out: Path, sheet: str,
               widths: Mapping[str, int], wrapped: Sequence[str], *,
               extra_sheets: Mapping[str, pd.DataFrame] | None = None,
               choices: Mapping[str, Sequence[str]] | None = None, describe: bool = True,
               more_sheets: Mapping[str, tuple[pd.DataFrame, Mapping[str, int], Sequence[str]]] | None = None) -> None:
    """Write the table to the sheet ``sheet`` of an Excel file, and the provenance to a sheet "Provenance".

    ``widths`` sets column widths by column name (14 otherwise); the columns in ``wrapped`` wrap their text.
    ``extra_sheets`` (name -> table) go between the two, their last column wide and wrapped (notes for
    people); ``choices`` (column -> values) give a column's cells a drop-down list of the values they take.
    What each column holds (``COLUMN_MEANINGS``) goes in a sheet "Columns" and on its header cell, unless
    ``describe`` is false (a table of the user's own query, whose names may mean anything).
    ``more_sheets`` (name -> (table, widths, wrapped)) are tables shown as the first one is, after it.
    """
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.datavalidation import DataValidation

    more = dict(more_sheets or {})
    every_column = list(dict.fromkeys([*table.columns, *(c for extra, _, _ in more.values() for c in extra.columns)]))
    meanings = column_meanings(every_column) if describe else {}
    if meanings:
        extra_sheets = {**(extra_sheets or {}), "Columns": pd.DataFrame(
            list(meanings.items()), columns=["column", "what it holds"])}

    fields = []
    for key, value in info.items():
        if isinstance(value, dict):  # one row per entry ("theme_checks: assessment")
            fields += [(f"{key}: {sub}", subvalue) for sub, subvalue in value.items()]
        else:
            fields.append((key, ", ".join(map(str, value)) if isinstance(value, list) else value))
    about = _excel_safe(pd.DataFrame(fields, columns=["field", "value"]))
    table = _excel_safe(table)
    more = {name: (_excel_safe(extra), extra_widths, extra_wrapped)
            for name, (extra, extra_widths, extra_wrapped) in more.items()}
    extra_sheets = {name: _excel_safe(extra) for name, extra in (extra_sheets or {}).items()}
    with writing(out), pd.ExcelWriter(out, engine="openpyxl") as writer:
        table.to_excel(writer, sheet_name=sheet, index=False)
        for name, (extra, extra_widths, extra_wrapped) in more.items():
            extra.to_excel(writer, sheet_name=name, index=False)
            _lay_out(writer.sheets[name], extra, extra_widths, extra_wrapped, meanings)
        for name, extra in (extra_sheets or {}).items():
            extra.to_excel(writer, sheet_name=name, index=False)
            cells = writer.sheets[name]
            for index in range(1, len(extra.columns) + 1):
                letter = cells.cell(row=1, column=index).column_letter
                cells.column_dimensions[letter].width = 100 if index == len(extra.columns) else 24
                cells.cell(row=1, column=index).font = Font(bold=True)
                for row in range(2, len(extra) + 2):
                    cells.cell(row=row, column=index).alignment = Alignment(wrap_text=True, vertical="top")
        about.to_excel(writer, sheet_name="Provenance", index=False)
        sheet_cells = writer.sheets[sheet]
        _lay_out(sheet_cells, table, widths, wrapped, meanings)
        for column, values in (choices or {}).items():
            letter = sheet_cells.cell(row=1, column=list(table.columns).index(column) + 1).column_letter
            validation = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True,
                                        showErrorMessage=False)  # a drop-down to help, not a rule: "yes" is read too
            validation.add(f"{letter}2:{letter}{max(len(table), 1) + 1}")
            sheet_cells.add_data_validation(validation)
        writer.sheets["Provenance"].column_dimensions["A"].width = 22
        writer.sheets["Provenance"].column_dimensions["B"].width = 100
        for cells in writer.sheets.values():
            _as_text(cells)


def _excel_safe(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with the characters an Excel cell cannot hold made spaces in its text (typed words pasted from
    Word, a PDF's metadata), which made openpyxl refuse to write the file.

    >>> _excel_safe(pd.DataFrame({"q": ["neglect\x0bschool", None, 3]}))["q"].tolist()
    ['neglect school', None, 3]
    """
    def clean(value: Any) -> Any:
        return controls_as_spaces(value) if isinstance(value, str) else value

    safe = table.copy()
    for column in safe.columns:
        if safe[column].dtype == object:
            safe[column] = safe[column].map(clean)
    return safe


def _as_text(cells: Any) -> None:
    """Make every cell Excel would read as a formula plain text: a search, a heading or a review's title that
    starts with "=" (``=HYPERLINK("http://...")``) must show as written, never run. The files casereview writes
    hold no formulas of their own."""
    for row in cells.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"


def _lay_out(cells: Any, table: pd.DataFrame, widths: Mapping[str, int], wrapped: Sequence[str],
             meanings: Mapping[str, str]) -> None:
    """A sheet of ``write_xlsx`` holding ``table``: column widths by name (14 otherwise), bold headers with what
    each column holds as a note on its header, ``wrapped`` columns wrapping their text, and the header row kept
    in view."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font

    for index, column in enumerate(table.columns, start=1):
        letter = cells.cell(row=1, column=index).column_letter
        cells.column_dimensions[letter].width = widths.get(column, 14)
        cells.cell(row=1, column=index).font = Font(bold=True)
        if column in meanings:  # shown when the pointer rests on the header
            cells.cell(row=1, column=index).comment = Comment(meanings[column], "casereview")
    for column in wrapped:
        position = list(table.columns).index(column) + 1
        for row in range(2, len(table) + 2):
            cells.cell(row=row, column=position).alignment = Alignment(wrap_text=True, vertical="top")
    cells.freeze_panes = "A2"


def md_cell(value: Any) -> str:
    r"""A value as one Markdown table cell: on one line, with its bars escaped, and each "<" written as an HTML
    entity outside code spans (`...`), so that a title or a passage holding "<script>" or "aged <5" shows as
    written instead of being read as HTML.

    >>> print(md_cell('<img src=x onerror=alert(1)> aged <5 | 6'))
    &lt;img src=x onerror=alert(1)> aged &lt;5 \| 6
    >>> print(md_cell(r'\<img src=x> `aged <5`'))
    \&lt;img src=x> `aged <5`
    """
    text = "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
    return md_text(" ".join(text.split())).replace("|", "\\|")


_CODE_SPAN = re.compile(r"(`[^`]*`)")


def md_text(text: str) -> str:
    """Text of the reviews or of the user for a Markdown file, each "<" (which opens HTML) written as an HTML entity
    (a backslash before it could itself be escaped by one before that), except inside code spans, where Markdown
    shows it as it is; ">" opens nothing, so ">99%" stays as it reads."""
    return "".join(part if part.startswith("`") and part.endswith("`") and len(part) > 1
                   else part.replace("<", "&lt;") for part in _CODE_SPAN.split(text))


# A text cell starting with one of these is read by spreadsheets as a formula (a minus sign or a plus sign only
# when what follows is no number).
_FORMULA_START = re.compile(r"[=@\t\r]|[-+](?!\d[\d.,]*%?$)")


def formula_safe(value: Any) -> Any:
    r"""A text cell of a CSV file as a spreadsheet should show it: one that would be read as a formula
    ("=HYPERLINK(...)", "@SUM(...)", "-cmd") gets an apostrophe in front, so that a spreadsheet opening the file
    shows it as text and never runs it (the apostrophe shows too, as it does to a program reading the file);
    anything else, numbers included ("-5"), is unchanged.

    >>> [formula_safe(v) for v in ['=HYPERLINK("x")', '@SUM(1)', '-cmd', '-5', '+44 20', 3, 'Child A']]
    ['\'=HYPERLINK("x")', "'@SUM(1)", "'-cmd", '-5', "'+44 20", 3, 'Child A']
    """
    return f"'{value}" if isinstance(value, str) and _FORMULA_START.match(value) else value
