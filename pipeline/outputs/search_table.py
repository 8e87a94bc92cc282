"""Search results as a table to keep and share: ``casereview search ... --out FILE`` (CSV, Excel or Markdown).

One row per passage found, best first: the review, its area, year, nation and type, the page(s) to cite (and
the numbers printed on them), the section, the matched words in context, the whole passage, the themes the
model tagged it with and their probabilities, the score and what it means, and whether a page was read by
OCR. The file says where it came from (see :mod:`pipeline.outputs.tables`) and what was searched: the words,
the other forms also searched, the words no passage uses, and the filters.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.outputs.common import (
    OCR_NOTE,
    REVIEW_FILTER_KEYS,
    KnownValues,
    counted,
    describe_filters,
    open_database,
    pages_cell,
    pages_label,
    probability_text,
    provenance,
    provenance_lines,
    resolve_theme,
    section_trail,
    theme_names,
    theme_note,
)
from pipeline.outputs.tables import md_cell, md_text, table_format, write_csv, write_xlsx, writing

COLUMNS: tuple[str, ...] = (
    "rank", "review", "review_id", "area", "nation", "review_type", "year", "pages", "printed_pages", "section",
    "matched", "passage", "themes", "theme_model", "score", "score_is", "read_by_ocr", "passage_id",
)
XLSX_WIDTHS = {"review": 40, "area": 30, "matched": 60, "passage": 90, "section": 24, "themes": 40,
               "passage_id": 20, "review_id": 26, "score_is": 30}
# A search saved review by review (``--by-review``): a row for each review it found passages in.
REVIEW_COLUMNS: tuple[str, ...] = (
    "review", "review_id", "area", "nation", "review_type", "year", "passages_found", "review_passages",
)


@dataclass
class SavedResults:
    """What ``save_results`` wrote: the file, its CSV provenance sidecar (CSV only) and the rows."""

    path: Path
    provenance_path: Path | None
    rows: int


def results_table(hits: list, names: dict[str, str], first: int = 1) -> pd.DataFrame:
    """The hits (``pipeline.search.SearchHit``), best first, with the columns in ``COLUMNS``."""
    from pipeline.search import SCORE_KINDS

    rows = []
    for rank, hit in enumerate(hits, start=first):
        printed = "" if hit.printed_start is None else pages_label(
            hit.printed_start, hit.printed_end).removeprefix("p. ")
        themes = sorted(hit.themes.items(), key=lambda item: -item[1])
        rows.append({
            "rank": rank,
            "review": hit.title,
            "review_id": hit.review_id,
            "area": hit.area,
            "nation": hit.nation,
            "review_type": hit.review_type,
            "year": hit.year,
            "pages": pages_label(hit.page_start, hit.page_end).removeprefix("p. "),
            "printed_pages": printed,
            "section": section_trail(hit.headings, hit.section, None) or None,
            "matched": hit.snippet_text,
            "passage": hit.text,
            "themes": "; ".join(f"{names.get(theme, theme)} {probability_text(probability)}"
                                for theme, probability in themes),
            "theme_model": hit.theme_model if hit.themes else None,
            "score": round(hit.score, 3),
            "score_is": SCORE_KINDS[hit.score_kind],
            "read_by_ocr": OCR_NOTE if hit.ocr else "",
            "passage_id": hit.passage_id,
        })
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    table["year"] = table["year"].astype("Int64")
    return table


def reviews_table(found: tuple) -> pd.DataFrame:
    """The reviews a search found passages in (``pipeline.search.ReviewFound``), most passages first, with the
    columns in ``REVIEW_COLUMNS``."""
    table = pd.DataFrame([[review.title, review.review_id, review.area, review.nation, review.review_type,
                           review.year, review.passages_found, review.review_passages] for review in found],
                         columns=list(REVIEW_COLUMNS))
    table["year"] = table["year"].astype("Int64")
    return table


def save_results(db_path: Path | str | None, result, out: Path, fmt: str | None = None, *,
                 searched: dict[str, Any]) -> SavedResults:
    """Write the hits of ``result`` (a ``pipeline.search.SearchResult``) to ``out`` with their provenance.

    Parameters
    ----------
    db_path : Path, str or None
        The database searched (None: the default one), for the provenance.
    result : SearchResult
        What the search found.
    out : Path
        The file to write; its suffix gives the format unless ``fmt`` does (.csv, .xlsx, .md).
    searched : dict
        What was asked: ``query``, ``theme``, ``min_score``, ``section``, ``limit``, ``page_order`` (the
        passages of one review in the order of its pages) and the review filters (``year_from``, ``year_to``,
        ``nation``, ``review_type``, ``area``, ``review``).
    """
    fmt = table_format(fmt, out, example="results.xlsx")
    con = open_database(db_path)
    try:
        info = provenance(con, db_path)
        names = theme_names(con)
        filters = {key: searched.get(key) for key in REVIEW_FILTER_KEYS}
        # one review is recorded by its id, however it was named ("Child H"): the search found it by that
        filters["review"] = KnownValues(con).review(filters["review"])
    finally:
        con.close()
    from pipeline.search import parts_only_note
    from pipeline.search_query import all_of_label, how_they_match, left_out_label, parse_query

    parsed = parse_query(searched.get("query"))  # as searched: it was read without an error
    left_out = left_out_label(parsed) if parsed is not None else ""

    theme_id = resolve_theme(None, searched["theme"]) if searched.get("theme") else None
    info = {
        **info,
        "query": searched.get("query") or None,
        "also_searched_as": list(result.also),
        **({"each_passage": all_of_label(parsed)} if parsed is not None and parsed.all_of else {}),
        **({"left_out": f"passages that {left_out}"} if left_out else {}),
        "words_found_nowhere": [word.word for word in result.missing],
        **({"found_by_parts": parts_only_note(result).removeprefix("Note: ")} if parts_only_note(result) else {}),
        "theme": names.get(theme_id, theme_id) if theme_id else None,
        "theme_real_text_check": theme_note(info["theme_models"], theme_id, names.get(theme_id)) if theme_id else None,
        "theme_local_check": info["theme_checks"].get(theme_id) if theme_id else None,
        "min_score": searched.get("min_score"),
        "reviews": describe_filters(filters) or "all",
        "section": searched.get("section"),
        "limit": searched.get("limit"),
        **({"first_rank": searched["offset"] + 1} if searched.get("offset") else {}),
        "rows": len(result.hits),
        "passages_matching": result.total,
        "reviews_matching": result.total_reviews,
        **({"how_passages_match": how} if (how := how_they_match(searched.get("query"), result.also).strip(" ()"))
           else {}),
        "sorted_by": ("in the order of the review's pages" if searched.get("page_order")
                      else "the strongest evidence first (theme probability)"
                      if result.hits and result.hits[0].score_kind == "theme_probability" else "best match first"),
    }
    if result.by_review is not None:  # a row for each review found, not for each passage
        info = {key: value for key, value in info.items() if key not in ("limit", "first_rank")}
        info |= {"rows": len(result.by_review), "reviews_read": result.reviews_read,
                 "reviews_by_year": [{"year": year, "reviews_with_passages": found, "reviews_read": read}
                                     for year, found, read in result.by_year],
                 "sorted_by": "the reviews with the most passages found first"}
        table = reviews_table(result.by_review)
    else:
        table = results_table(result.hits, names, first=(searched.get("offset") or 0) + 1)
    sidecar = None
    if fmt == "csv":
        sidecar = write_csv(table, info, out)
    elif fmt == "md":
        with writing(out):
            out.write_text(results_markdown(table, info), encoding="utf-8")
    else:
        by_review = result.by_review is not None
        write_xlsx(table, info, out, "Reviews" if by_review else "Results", XLSX_WIDTHS,
                   ["review"] if by_review else ["matched", "passage"])
    return SavedResults(path=out, provenance_path=sidecar, rows=len(table))


def results_markdown(table: pd.DataFrame, info: dict[str, Any]) -> str:
    """The results as Markdown, after a header block saying what was searched and where it came from."""
    from pipeline.search_query import quoted_search

    asked = quoted_search(info["query"]) if info.get("query") else f"the theme {info.get('theme')}"
    lines = [f"# {'Reviews with passages' if 'reviews_read' in info else 'Search results'} for {md_text(asked)}", ""]
    lines += [f"> {line}  " for line in provenance_lines(info)]
    said = []
    if info.get("also_searched_as"):
        said.append("Also searched as " + ", ".join(f'"{form}"' for form in info["also_searched_as"]) + ".")
    if info.get("each_passage"):
        said.append(f"Each passage {info['each_passage']}.")
    if info.get("left_out"):
        said.append(f"Left out: {info['left_out']}.")
    if info.get("words_found_nowhere"):
        said.append("No passage uses " + ", ".join(f'"{word}"' for word in info["words_found_nowhere"]) + ".")
    if info.get("found_by_parts"):
        said.append(info["found_by_parts"][:1].upper() + info["found_by_parts"][1:])
    if info.get("reviews", "all") != "all":
        said.append(f"Reviews: {info['reviews']}.")
    if info.get("section"):
        said.append(f'Passages under a heading containing "{info["section"]}".')
    said = [md_text(line) for line in said]  # (what was typed, and the words of the reviews)
    if "reviews_read" in info:  # saved review by review
        lines += ["", " ".join([f"Passages found in {info['rows']} of the {counted(info['reviews_read'], 'review')} "
                                f"read ({counted(info.get('passages_matching') or 0, 'passage')} in all), "
                                f"{info['sorted_by']}.", *said]), ""]
        if info.get("reviews_by_year"):
            lines += ["By year, reviews with such passages of those read: " + "; ".join(
                f"{row['year']}: {row['reviews_with_passages']} of {row['reviews_read']}"
                for row in info["reviews_by_year"]) + ".", ""]
        lines.append("| Review | Area | Year | Passages found | Of the review's | Review id |")
        lines.append("| --- | --- | ---: | ---: | ---: | --- |")
        for row in table.itertuples(index=False):
            cells = [row.review, row.area, "" if pd.isna(row.year) else row.year, row.passages_found,
                     row.review_passages, f"`{row.review_id}`"]
            lines.append("| " + " | ".join(md_cell(cell) for cell in cells) + " |")
        return "\n".join(lines) + "\n"
    count = f"{info['rows']} passage{'' if info['rows'] == 1 else 's'}"
    shown = f"at most {info['limit']}"
    if info.get("first_rank"):
        shown += f", starting at number {info['first_rank']}"
    if info.get("passages_matching") is not None and info["passages_matching"] > info["rows"]:
        shown += (f"; {info['passages_matching']} match in all, in "
                  f"{counted(info.get('reviews_matching') or 0, 'review')}")
        if info.get("how_passages_match"):
            shown += f": {info['how_passages_match']}"
    lines += ["", " ".join([f"{count}, {info['sorted_by']}; {shown}.", *said]), ""]
    lines.append("| # | Review | Area | Year | Page | Section | Matched | Themes | Passage id |")
    lines.append("| ---: | --- | --- | ---: | --- | --- | --- | --- | --- |")
    for row in table.itertuples(index=False):
        matched = f"{row.matched} *({row.read_by_ocr})*" if row.read_by_ocr else row.matched
        cells = [row.rank, row.review, row.area, "" if pd.isna(row.year) else row.year,
                 pages_cell(row.pages, row.printed_pages), row.section, matched, row.themes, f"`{row.passage_id}`"]
        lines.append("| " + " | ".join(md_cell(cell) for cell in cells) + " |")
    return "\n".join(lines) + "\n"
