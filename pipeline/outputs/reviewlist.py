"""The reviews a database holds, for ``casereview reviews``: the list "The reviews" of the web pages, in a terminal.

Each review with its id (what ``--review`` and ``casereview remove`` take), title, area, nation, type and year,
whether it was read (and why not), and its commonest themes; newest first, narrowed by the review filters or to
the reviews that could not be read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.outputs.common import (
    REVIEW_FILTERS,
    TITLE_CONTAINS_SQL,
    KnownValues,
    counted,
    describe_filters,
    open_database,
    status_words,
    wanted_text,
)

THEMES_SHOWN = 4  # the commonest themes named for a review, as on the web page's list

_REVIEWS = f"""
SELECT r.review_id, r.title, r.area, r.nation, r.review_type, r.year, r.status, r.error, r.pages, r.passages,
       r.themes
FROM v_review_summary r
WHERE {REVIEW_FILTERS} AND (NOT $unread OR r.status <> 'ok') AND {TITLE_CONTAINS_SQL}
ORDER BY r.year DESC NULLS LAST, r.area, r.title, r.review_id"""
_HELD = "SELECT count(*), count(*) FILTER (WHERE status <> 'ok') FROM v_review_summary"


def list_reviews(db_path: Path | str | None, *, year_from: int | None = None, year_to: int | None = None,
                 nation: str | None = None, review_type: str | None = None, area: str | None = None,
                 unread: bool = False, containing: str | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The reviews the filters keep (``unread``: only those not read; ``containing``: those whose title or id
    holds the text, any case), newest first.

    Returns
    -------
    (list of dict, dict)
        One dict per review (the columns of ``v_review_summary`` named in ``_REVIEWS``; ``themes`` its themes,
        commonest first), and what the list covers: ``reviews`` (the filters, or "all"), ``unread``, and what
        the database holds (``in_database``, ``not_read``).

    Raises
    ------
    CaseReviewError
        For a filter value no review has, or a database that does not exist.
    """
    con = open_database(db_path)
    try:
        filters = KnownValues(con).review_filters(year_from, year_to, nation, review_type, area)
        containing = wanted_text(containing)
        cursor = con.execute(_REVIEWS, {**filters, "unread": unread, "containing": containing or None})
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        held, not_read = con.execute(_HELD).fetchone()
    finally:
        con.close()
    for row in rows:
        row["themes"] = list(row["themes"] or [])
    within = ", ".join(part for part in (f'title or id containing "{containing}"' if containing else "",
                                         describe_filters(filters)) if part)
    return rows, {"reviews": within or "all", "unread": unread, "in_database": held, "not_read": not_read}


def review_lines(year: int | None, first: str, title: str, area: str | None, nation: str | None,
                 review_type: str | None, *more: str) -> list[str]:
    """A review as the terminal lists it: a blank line, its year beside ``first`` (its id, and what is said of it
    there), its title, where it is from, and ``more`` lines, each indented under the year.

    >>> review_lines(2022, "ardmuir-2022-child-c", "Learning Review – Child C", "Ardmuir", None, "LR", "read")
    ['', '2022  ardmuir-2022-child-c', '      Learning Review – Child C', '      Ardmuir · LR', '      read']
    """
    where = " · ".join(str(part) for part in (area, nation, review_type) if part)
    shown = str(year) if year is not None else "—"
    return ["", f"{shown:<4}  {first}", f"      {title}",
            *(f"      {part}" for part in (where, *more) if part)]


def format_reviews(rows: list[dict[str, Any]], about: dict[str, Any], names: dict[str, str]) -> str:
    """The list for people: a line saying what it covers, then each review in four lines (year and id; title;
    area, nation and type; whether it was read, with its size and commonest themes, or why not).

    >>> rows = [{"review_id": "ardmuir-2022-child-c", "title": "Learning Review – Child C", "area": "Ardmuir",
    ...          "nation": "Scotland", "review_type": "LR", "year": 2022, "status": "ok", "error": None,
    ...          "pages": 5, "passages": 28, "themes": ["assessment", "voice_of_child"]}]
    >>> about = {"reviews": "all", "unread": False, "in_database": 1, "not_read": 0}
    >>> print(format_reviews(rows, about, {"assessment": "Assessment"}))
    1 review in the database, newest first.
    <BLANKLINE>
    2022  ardmuir-2022-child-c
          Learning Review – Child C
          Ardmuir · Scotland · LR
          read: 5 pages, 28 passages · commonest themes: Assessment, voice_of_child
    """
    held = about["in_database"]
    filters = f" ({about['reviews']})" if about["reviews"] != "all" else ""
    if not held:
        return "The database holds no reviews yet: run `casereview run --manifest FILE.csv` to read some."
    if not rows and about["unread"]:
        return f"Every review in the database{' that the filters keep' + filters if filters else ''} was read."
    if not rows:
        return f"None of the {counted(held, 'review')} in the database is kept by the filters{filters}."
    if about["unread"]:
        head = f"{len(rows)} of the {counted(held, 'review')} in the database could not be read{filters}, newest first."
    elif filters:
        head = f"{len(rows)} of the {counted(held, 'review')} in the database{filters}, newest first."
    else:
        head = (f"{counted(held, 'review')} in the database"
                + (f" ({about['not_read']} not read: --unread lists them)" if about["not_read"] else "")
                + ", newest first.")
    lines = [head]
    for row in rows:
        if row["status"] == "ok":
            state = f"read: {counted(row['pages'] or 0, 'page')}, {counted(row['passages'] or 0, 'passage')}"
            if row["themes"]:
                state += " · commonest themes: " + ", ".join(
                    names.get(theme, theme) for theme in row["themes"][:THEMES_SHOWN])
        else:
            state = status_words(row["status"], row["passages"]) + (f": {row['error']}" if row["error"] else "")
        lines += review_lines(row["year"], row["review_id"], row["title"] or row["review_id"], row["area"],
                              row["nation"], row["review_type"], state)
    return "\n".join(lines)
