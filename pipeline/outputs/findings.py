"""The findings reviews state in their own headings, across reviews: a table for thematic briefings.

Most reviews state their findings in headings: numbered ("Finding 2: Information held by one agency did not reach
the others", "Learning point 1 - ..."), or set under a chapter of findings ("Practice and organisational learning"
> "5.1 ..."). The ``v_review_findings`` view (migrations 009, 011, 013 and 014) lists them; this module
filters them like the other outputs (years, nation, review type, area, words in the finding) for
``casereview findings``, adds the printed page numbers, and writes them for people, or as CSV, Excel or
Markdown with their provenance (:mod:`pipeline.outputs.tables`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.errors import CaseReviewError
from pipeline.outputs.common import (
    READ_REVIEW_SQL,
    REVIEW_FILTERS,
    KnownValues,
    counted,
    describe_filters,
    open_database,
    pages_label,
    printed_pages_sql,
    provenance,
    provenance_lines,
    quotes_folded,
    reviews_kept,
    wanted_text,
)
from pipeline.outputs.tables import md_cell, write_csv, write_xlsx, writing

CSV_COLUMNS: tuple[str, ...] = (
    "year", "area", "nation", "review_type", "review", "review_id", "finding", "page", "printed_page", "passage_id",
)

_FINDINGS = f"""
WITH f AS (
    SELECT *, page AS page_start, page AS page_end FROM v_review_findings r
    WHERE {REVIEW_FILTERS}
      AND ($containing IS NULL OR strpos({quotes_folded("finding")}, {quotes_folded("$containing")}) > 0)
)
SELECT f.*, {printed_pages_sql("f")} FROM f ORDER BY f.year, f.area, f.review_id, f.seq"""
_READ_REVIEWS = f"SELECT count(*) FROM reviews r WHERE {READ_REVIEW_SQL} AND {REVIEW_FILTERS}"


def stated_findings(db_path: Path | str | None, *, containing: str | None = None, year_from: int | None = None,
                    year_to: int | None = None, nation: str | None = None, review_type: str | None = None,
                    area: str | None = None, review: str | None = None,
                    upgrade: bool = True) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The findings the reviews kept by the filters state in their headings (numbered, or under a chapter of
    findings), in year, area and review order (``upgrade``: see ``open_database``; the web pages pass False,
    never to wait for a run writing the database).

    Returns
    -------
    (list of dict, dict)
        One dict per finding (the columns of ``v_review_findings`` plus ``printed_start``), and what the
        list covers: ``reviews_read`` (reviews read that the filters keep), ``reviews`` (the filters, or
        "all"), ``containing`` and the provenance.

    Raises
    ------
    CaseReviewError
        For a filter value no review has.
    """
    wanted = wanted_text(containing)
    con = open_database(db_path, upgrade=upgrade)
    try:
        filters = KnownValues(con).review_filters(year_from, year_to, nation, review_type, area, review)
        reviews_kept(con, filters, "their findings can be listed")
        cursor = con.execute(_FINDINGS, {**filters, "containing": wanted})
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        read = con.execute(_READ_REVIEWS, filters).fetchone()[0]
        info = provenance(con, db_path)
    finally:
        con.close()
    # no model is involved in the findings (the reviews' own headings): the warning about theme tags, and how the
    # theme model did on labelled passages, would speak of something the table does not hold
    info.pop("checked_on_labelled_passages", None)
    info["note"] = FINDINGS_NOTE
    return rows, {**info, "reviews_read": read, "reviews": describe_filters(filters) or "all",
                  "containing": wanted}


FINDINGS_NOTE = ("Generated automatically. The findings are the reviews' own headings as read from their PDFs (no "
                 "model chose them): check each against the source review, at its page, before publishing.")


def format_findings(rows: list[dict[str, Any]], about: dict[str, Any]) -> str:
    """The findings for people: a block per review, each finding with the page it starts on."""
    out = [summary_line(rows, about), ONLY_HEADINGS, ""]
    if not rows:
        tries = " or ".join(t for t, given in (("other words", about.get("containing")),
                                                 ("wider filters", about.get("reviews", "all") != "all")) if given)
        out.append(f"No finding heading matches: try {tries}, or search the text with `casereview search`."
                   if tries else
                   "None of the reviews read states its findings in headings: search their text with "
                   "`casereview search`, or list a theme's passages with `casereview search --theme THEME`.")
    current = None
    for row in rows:
        if row["review_id"] != current:
            current = row["review_id"]
            if len(out) > 3:
                out.append("")
            out.append(f"{row['year']}  {row['title']} · {row['area']} ({row['review_id']})")
        page = pages_label(row["page_start"], row["page_end"], row["printed_start"], row["printed_end"])
        out.append(f"  {row['finding']} ({page})")
    return "\n".join(out)


def summary_line(rows: list[dict[str, Any]], about: dict[str, Any]) -> str:
    """The findings' first line.

    >>> summary_line([], {"reviews": "all", "containing": None, "reviews_read": 1})
    '0 findings stated in the headings of 0 of the 1 review read.'
    """
    stating = len({row["review_id"] for row in rows})
    scope = "" if about["reviews"] == "all" else f" (reviews: {about['reviews']})"
    words = f' containing "{about["containing"]}"' if about["containing"] else ""
    return (f"{len(rows)} finding{'s' if len(rows) != 1 else ''}{words} stated in the headings of {stating} of the "
            f"{counted(about['reviews_read'], 'review')} read{scope}.")


ONLY_HEADINGS = ("Only findings a review states in its headings are listed: numbered (\"Finding 2: ...\", "
                  "\"Learning point 1: ...\"), or set under a chapter of findings (\"Practice and organisational "
                  "learning\"); read the review for the rest.")


def findings_markdown(rows: list[dict[str, Any]], about: dict[str, Any]) -> str:
    """The findings as Markdown, for a briefing or a report: what was listed and where it came from, then a
    table per review (finding, page, passage id)."""
    lines = ["# Findings stated in the reviews", ""]
    lines += [f"> {line}  " for line in provenance_lines(about)]
    lines += ["", f"{summary_line(rows, about)} {ONLY_HEADINGS}"]
    current = None
    for row in rows:
        if row["review_id"] != current:
            current = row["review_id"]
            lines += ["", f"## {md_cell(row['year'])} · {md_cell(row['title'])} · {md_cell(row['area'])}", "",
                      f"Review id `{row['review_id']}` · {md_cell(row['nation'])} · {md_cell(row['review_type'])}",
                      "", "| Finding | Page | Passage id |", "| --- | --- | --- |"]
        page = pages_label(row["page_start"], row["page_end"], row["printed_start"], row["printed_end"])
        lines.append(f"| {md_cell(row['finding'])} | {md_cell(page)} | `{row['passage_id']}` |")
    return "\n".join(lines) + "\n"


_TABLE_SUFFIXES = (".csv", ".xlsx", ".md")


def check_table_name(out: Path) -> None:
    """Refuse a file name that is not .csv, .xlsx or .md, the forms the findings table is written in."""
    if out.suffix.lower() not in _TABLE_SUFFIXES:
        raise CaseReviewError(f"--out {out}: the findings table is written as CSV, Excel or Markdown: give a file "
                              "name ending in .csv, .xlsx or .md")


def write_findings_table(rows: list[dict[str, Any]], about: dict[str, Any], out: Path) -> Path | None:
    """Write the findings as CSV (with ``NAME.provenance.json`` beside it), Excel (with a Provenance sheet) or
    Markdown (provenance at the top), by ``out``'s suffix; returns the CSV's provenance file (else None)."""
    check_table_name(out)
    if out.suffix.lower() == ".md":
        with writing(out):
            out.write_text(findings_markdown(rows, {**about, "rows": len(rows)}), encoding="utf-8")
        return None
    table = pd.DataFrame(
        [[row["year"], row["area"], row["nation"], row["review_type"], row["title"], row["review_id"],
          row["finding"], row["page"], row["printed_start"], row["passage_id"]] for row in rows],
        columns=list(CSV_COLUMNS))
    for column in ("year", "page", "printed_page"):
        table[column] = table[column].astype("Int64")
    info = {**about, "rows": len(rows)}
    if out.suffix.lower() == ".csv":
        return write_csv(table, info, out)
    write_xlsx(table, info, out, "Findings", {"area": 30, "review": 40, "review_id": 26, "finding": 80,
                                              "passage_id": 20}, ["finding"])
    return None