"""Export the evidence for one learning theme as a table: CSV, Excel (xlsx) or Markdown, with provenance
(written by :mod:`pipeline.outputs.tables`).

One row per passage tagged with the theme, most probable first: the review, its area and year, the page(s)
to cite, the quote (the evidence sentence the model picked, or the start of the passage when it picked
none), the theme probability, the model that gave it, and the passage id. Every export says where it came
from (models, run, manifest checksum, date, database): in a second sheet for Excel, in a header block for
Markdown, and for CSV in a sidecar file ``NAME.provenance.json`` (comment lines would break spreadsheets).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from pipeline.errors import CaseReviewError
from pipeline.outputs.common import (
    IN_SECTION_SQL,
    REVIEW_FILTER_KEYS,
    REVIEW_FILTERS,
    WEAK_TAG,
    KnownValues,
    check_section,
    describe_filters,
    kept_by,
    list_cell,
    open_database,
    pages_cell,
    pages_label,
    printed_pages_sql,
    probability_text,
    provenance,
    provenance_lines,
    quote_alone,
    read_by_ocr_sql,
    resolve_theme,
    reviews_kept,
    section_trail,
    shorten,
    theme_names,
    theme_note,
    weak_tag,
)
from pipeline.outputs.tables import md_cell, table_format, write_csv, write_xlsx, writing

QUOTE_CHARS = 400
READ_BY_OCR = "read by OCR: check against the PDF"  # added to quote_is when a passage's page was read by OCR
COLUMNS: tuple[str, ...] = (
    "review", "review_id", "area", "nation", "year", "pages", "printed_pages", "section", "quote", "quote_is",
    "quote_probability", "probability", "weak_tag", "model_version", "passage_id", "passage",
)
# Probabilities are written to 3 decimals but never as 1: the model is never certain (0.9996 is not 1.000).
TOP_PROBABILITY = 0.999

_EVIDENCE = f"""
SELECT title, review_id, area, nation, year, page_start, page_end, section, evidence, evidence_score, text,
       score, model_version, passage_id, {read_by_ocr_sql("r")} AS ocr, {printed_pages_sql("r")},
       (SELECT q.headings FROM passages q WHERE q.passage_id = r.passage_id) AS headings
FROM v_theme_evidence r
WHERE theme = $theme AND score >= coalesce($min_score, 0) AND {REVIEW_FILTERS}
  AND ($section IS NULL OR {IN_SECTION_SQL.format(alias="r")})
ORDER BY score DESC, year DESC, review_id, passage_id"""
XLSX_WIDTHS = {"review": 40, "area": 30, "quote": 80, "section": 24, "passage_id": 20, "review_id": 26,
               "passage": 100}
NO_FILTERS: dict[str, Any] = dict.fromkeys(REVIEW_FILTER_KEYS)


@dataclass
class ExportResult:
    """What ``export_theme`` wrote.

    Attributes
    ----------
    rows : int
        Evidence rows exported.
    path : Path or None
        The file written (None when the table went to ``text`` instead).
    provenance_path : Path or None
        The CSV sidecar with the provenance (CSV only).
    text : str or None
        The CSV or Markdown text when no file was given.
    provenance : dict
        Where the export came from (see ``pipeline.outputs.common.provenance``).
    theme, theme_name : str
    """

    rows: int
    path: Path | None
    provenance_path: Path | None
    text: str | None
    provenance: dict[str, Any]
    theme: str
    theme_name: str


def evidence_table(con: duckdb.DuckDBPyConnection, theme: str, min_score: float | None = None,
                   filters: dict[str, Any] | None = None, section: str | None = None) -> pd.DataFrame:
    """The evidence rows for a theme id, most probable first, with the columns in ``COLUMNS``; ``filters``
    (checked by ``KnownValues.review_filters``) keep some reviews only, ``section`` (checked by
    ``check_section``) the passages under a heading containing it."""
    raw = con.execute(_EVIDENCE, {"theme": theme, "min_score": min_score, **NO_FILTERS, **(filters or {}),
                                  "section": section}).df()
    table = pd.DataFrame({
        "review": raw["title"],
        "review_id": raw["review_id"],
        "area": raw["area"],
        "nation": raw["nation"],
        "year": raw["year"].astype("Int64"),
        "pages": [pages_label(a, b).removeprefix("p. ") for a, b in zip(
            _ints(raw["page_start"]), _ints(raw["page_end"]), strict=True)],
        # the numbers the document prints on those pages, where known (empty otherwise)
        "printed_pages": ["" if a is None else pages_label(a, b).removeprefix("p. ") for a, b in zip(
            _ints(raw["printed_start"]), _ints(raw["printed_end"]), strict=True)],
        # the section after the headings it is under ("Finding 1: … › Why this matters")
        "section": [section_trail(list_cell(h), sec, None) or None
                    for h, sec in zip(raw["headings"], raw["section"], strict=True)],
        "quote": [_quote(e, t) for e, t in zip(raw["evidence"], raw["text"], strict=True)],
        "quote_is": [_quote_is(e, e_score, ocr, score) for e, e_score, ocr, score
                     in zip(raw["evidence"], raw["evidence_score"], raw["ocr"], raw["score"], strict=True)],
        # the evidence sentence's own probability for the theme (none for the start of a passage)
        "quote_probability": [_probability(e_score) if isinstance(e, str) and e and pd.notna(e_score) else None
                              for e, e_score in zip(raw["evidence"], raw["evidence_score"], strict=True)],
        "probability": [_probability(score) for score in raw["score"]],
        # a tag under WEAK_TAG: the model rates it nearer a coin toss than likely ("yes"; "no" otherwise)
        "weak_tag": ["yes" if weak_tag(float(score)) else "no" for score in raw["score"]],
        "model_version": raw["model_version"],
        "passage_id": raw["passage_id"],
        "passage": raw["text"],
    })
    return table[list(COLUMNS)]


def _probability(score: float) -> float:
    return min(round(float(score), 3), TOP_PROBABILITY)


def _quote_is(evidence: Any, evidence_score: Any, ocr: bool, score: float | None = None) -> str:
    """What the quote is: the passage's evidence sentence (saying what it scores alone when that differs
    materially from the passage's ``score``: ``quote_alone``), or the start of the passage; and whether its page
    was read by OCR."""
    if isinstance(evidence, str) and evidence:
        what = "evidence sentence"
        alone = quote_alone(score, None if pd.isna(evidence_score) else float(evidence_score))
        if alone:
            what += f", {alone}"
    else:
        what = "start of passage"
    return what + (f", {READ_BY_OCR}" if ocr else "")


def _ints(series: pd.Series) -> list[int | None]:
    return [None if pd.isna(value) else int(value) for value in series]


def _quote(evidence: Any, text: str) -> str:
    if isinstance(evidence, str) and evidence:
        return evidence
    return shorten(text, QUOTE_CHARS)


def export_theme(
    db_path: Path | str | None,
    theme: str,
    fmt: str | None = None,
    out: Path | None = None,
    *,
    min_score: float | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
    nation: str | None = None,
    review_type: str | None = None,
    area: str | None = None,
    review: str | None = None,
    section: str | None = None,
) -> ExportResult:
    """Write the evidence table of one theme, with its provenance.

    Parameters
    ----------
    db_path : Path, str or None
        The database (None: the default one).
    theme : str
        A theme id (e.g. ``voice_of_child``) or name (e.g. ``Voice of the child``).
    fmt : {'csv', 'xlsx', 'md'}, optional
        The format; by default taken from ``out``'s suffix, else CSV.
    out : Path, optional
        The file to write. Without it, CSV and Markdown are returned as ``text`` (Excel needs a file).
    min_score : float, optional
        Leave out tags with a probability below this (0-1).
    year_from, year_to : int, optional
        Keep reviews from these years (inclusive).
    nation, review_type : str, optional
        Keep reviews of this nation / type (case-insensitive).
    area : str, optional
        Keep reviews whose area contains this text (case-insensitive).
    review : str, optional
        Keep one review: its id, or words found in its title alone.
    section : str, optional
        Keep passages under a heading that contains this text (case-insensitive), e.g. "recommendations".

    Returns
    -------
    ExportResult

    Raises
    ------
    CaseReviewError
        For an unknown theme or format, Excel without a file, a filter value no review has, or a theme no
        passage carries (within the filters).
    """
    fmt = table_format(fmt, out)
    if min_score is not None and not 0 <= min_score <= 1:
        raise CaseReviewError(f"--min-score {min_score:g} is not a probability: give a number from 0 to 1")
    con = open_database(db_path)
    try:
        theme_id = resolve_theme(con, theme)
        name = theme_names(con).get(theme_id, theme_id)
        filters = KnownValues(con).review_filters(year_from, year_to, nation, review_type, area, review)
        section = check_section(con, section)
        reviews_kept(con, filters, "their passages can be exported")
        table = evidence_table(con, theme_id, min_score, filters, section)
        info = provenance(con, db_path)
    finally:
        con.close()
    within = describe_filters(filters)
    under = f'under a heading containing "{section}"' if section else ""
    if table.empty:
        raise CaseReviewError(
            f"no passage is tagged with the theme '{theme_id}' ({name})"
            + (f" at a probability of {min_score:g} or more" if min_score is not None else "")
            + (f" {under}" if under else "")
            + kept_by(filters)
            + (": nothing to export (try wider filters)" if within or under
               else ": nothing to export (were the reviews processed with the theme model?)")
        )
    info = {**info, "theme": theme_id, "theme_name": name, "rows": len(table),
            "weak_tags": int((table["weak_tag"] == "yes").sum()),
            "theme_real_text_check": theme_note(info["theme_models"], theme_id, name),
            "theme_local_check": info["theme_checks"].get(theme_id),
            "min_score": min_score, "reviews": within or "all", "section": section,
            "sorted_by": "probability, highest first"}
    result = ExportResult(rows=len(table), path=out, provenance_path=None, text=None, provenance=info,
                          theme=theme_id, theme_name=name)
    if fmt == "csv":
        if out is None:
            result.text = table.to_csv(index=False)
        else:
            result.provenance_path = write_csv(table, info, out)
    elif fmt == "md":
        text = markdown(table, info)
        if out is None:
            result.text = text
        else:
            with writing(out):
                out.write_text(text, encoding="utf-8")
    else:
        write_xlsx(table, info, out, "Evidence", XLSX_WIDTHS, ["quote", "passage"])
    return result


def at_least(min_score: float) -> str:
    """What ``--min-score`` kept, for people.

    >>> at_least(0.8), at_least(0.9999)
    ('only tags with a probability of 80% or more (the others left out)', 'only tags with a probability of 99.99% \
or more (the others left out)')
    >>> at_least(0)
    'every tag (a probability of 0 or more)'
    """
    if min_score <= 0:
        return "every tag (a probability of 0 or more)"
    return f"only tags with a probability of {min_score * 100:.6g}% or more (the others left out)"


def weak_tags_note(info: dict[str, Any]) -> str:
    """How many of an export's tags are weak, and how to leave them out ("" when none are), after a sentence.

    >>> weak_tags_note({"rows": 134, "weak_tags": 31})
    ' 31 of the 134 are weak tags (under 50%: the model is unsure the passage is about the theme), marked so; \
--min-score 0.5 leaves them out.'
    """
    weak = info.get("weak_tags") or 0
    if not weak:
        return ""
    of = f"{weak} of the {info['rows']} are weak tags" if weak < info["rows"] else (
        "All are weak tags" if weak > 1 else "It is a weak tag")
    return (f" {of} (under {WEAK_TAG:.0%}: the model is unsure the passage is about the theme), marked so; "
            f"--min-score {WEAK_TAG:g} leaves them out.")


def markdown(table: pd.DataFrame, info: dict[str, Any]) -> str:
    """The evidence table as Markdown, after a header block with its provenance."""
    lines = [f"# Evidence for the theme: {info['theme_name']} (`{info['theme']}`)", ""]
    lines += [f"> {line}  " for line in provenance_lines(info)]
    kept = f" Reviews: {info['reviews']}." if info.get("reviews", "all") != "all" else ""
    if info.get("min_score") is not None:
        kept += f" {at_least(info['min_score']).capitalize()}."
    if info.get("section"):
        kept += f' Passages under a heading containing "{info["section"]}".'

    count = f"{info['rows']} passage{'' if info['rows'] == 1 else 's'}"
    lines += ["", f"{count}, highest probability first.{kept}{weak_tags_note(info)}", ""]
    lines.append("| # | Review | Area | Year | Page | Quote | Probability | Passage id |")
    lines.append("| ---: | --- | --- | ---: | --- | --- | ---: | --- |")
    for number, row in enumerate(table.itertuples(index=False), start=1):
        note = row.quote_is.removeprefix("evidence sentence").removeprefix(", ")
        weak = " (weak)" if row.weak_tag == "yes" else ""
        cells = [str(number), row.review, row.area, "" if pd.isna(row.year) else str(row.year),
                 pages_cell(row.pages, row.printed_pages),
                 f"{row.quote} *({note})*" if note else row.quote, probability_text(row.probability) + weak,
                 f"`{row.passage_id}`"]
        lines.append("| " + " | ".join(md_cell(cell) for cell in cells) + " |")
    return "\n".join(lines) + "\n"
