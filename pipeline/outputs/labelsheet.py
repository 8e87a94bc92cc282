"""A label sheet: passages drawn at random from the database for a person to label with the learning themes,
so that the theme model can be checked on the reviews they work with (``casereview label-sheet``, then
``casereview evaluate --gold SHEET``).

The model's published scores come from text unlike any one partnership's reviews, and its accuracy on real
review text is well below its accuracy on our own examples (see the model card). A sheet of a hundred or so
passages from a user's own reviews, labelled by someone who knows them, says how far to trust its tags
there. The passages are drawn at random (seeded, so the same database and seed give the same sheet) and
listed in random order, so a sheet labelled only part of the way down is still a fair sample. The model's
tags are not shown, so they do not lead the person labelling.

Written as Excel (a "Passages" sheet with a drop-down in each theme column, a "How to label" sheet with the
themes' definitions from the taxonomy, and the provenance) or CSV (with ``NAME.how-to-label.txt`` and
``NAME.provenance.json`` beside it). :mod:`pipeline.themes.sheet` reads it back.
"""

from __future__ import annotations

import dataclasses
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.errors import CaseReviewError
from pipeline.outputs.common import (
    IN_SECTION_SQL,
    OCR_NOTE,
    REVIEW_FILTERS,
    KnownValues,
    check_section,
    counted,
    describe_filters,
    list_cell,
    open_database,
    pages_label,
    provenance,
    read_by_ocr_sql,
    section_trail,
    theme_names,
)
from pipeline.outputs.tables import write_csv, write_xlsx, writing
from pipeline.themes.sheet import NO_THEME, PASSAGES_SHEET

DEFAULT_SIZE = 100
FORMATS = ("xlsx", "csv")
# The ids first (a large database holds hundreds of thousands of passages), then the drawn passages' rows.
_PASSAGE_IDS = f"""
SELECT p.passage_id FROM passages p JOIN reviews r USING (review_id)
WHERE {REVIEW_FILTERS} AND ($section IS NULL OR {IN_SECTION_SQL.format(alias="p")})
ORDER BY p.passage_id"""
_DRAWN = f"""
SELECT p.passage_id, r.title, r.area, r.year, p.page_start, p.page_end, p.section, p.text,
       {read_by_ocr_sql("p")} AS ocr, p.headings
FROM passages p JOIN reviews r USING (review_id)
WHERE p.passage_id IN (SELECT unnest($ids::VARCHAR[]))"""
XLSX_WIDTHS = {"passage_id": 22, "review": 34, "area": 24, "year": 7, "pages": 8, "section": 22, "passage": 90,
               NO_THEME: 10, "notes": 30, "read_by_ocr": 20}


@dataclass
class LabelSheet:
    """What ``write_label_sheet`` wrote.

    Attributes
    ----------
    path : Path
        The sheet.
    rows : int
        Passages in it.
    available : int
        Passages the filters kept, of which ``rows`` were drawn.
    themes : list of str
        The theme names heading its columns, in order.
    companions : list of Path
        Files written beside a CSV: the instructions and the provenance.
    provenance : dict
    """

    path: Path
    rows: int
    available: int
    themes: list[str]
    companions: list[Path]
    provenance: dict[str, Any]
    # themes the database's tags have that the taxonomy does not (a model trained with a theme of the user's own):
    # they have columns too, and `evaluate` needs that model (--model) to score them
    other_themes: list[str] = dataclasses.field(default_factory=list)


def write_label_sheet(db_path: Path | str | None, out: Path, *, size: int = DEFAULT_SIZE, seed: int = 13,
                      replace: bool = False, year_from: int | None = None, year_to: int | None = None,
                      nation: str | None = None, review_type: str | None = None, area: str | None = None,
                      section: str | None = None) -> LabelSheet:
    """Draw up to ``size`` passages at random and write them as a sheet to label.

    Parameters
    ----------
    db_path : Path, str or None
        The database (None: the default one).
    out : Path
        The sheet to write: ``.xlsx`` (Excel) or ``.csv``.
    size : int
        How many passages to draw (all of them when fewer are kept by the filters).
    seed : int
        Random seed: the same database, filters and seed give the same passages in the same order.
    replace : bool
        Overwrite ``out`` if it exists (it may hold someone's labels, so by default it is never overwritten).
    year_from, year_to, nation, review_type, area, section
        Keep some reviews, or passages under a heading containing ``section``, as for ``casereview export``.

    Raises
    ------
    CaseReviewError
        For another file type, an existing ``out`` without ``replace``, a size below 1, filters no review
        matches, or no passages.
    """
    out = Path(out)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise CaseReviewError(f"{out}: a label sheet is an Excel (.xlsx) or CSV (.csv) file: name it, e.g., "
                              "check.xlsx")
    if size < 1:
        raise CaseReviewError(f"--size {size}: draw at least one passage (100 or more give useful figures)")
    if out.exists() and not replace:
        raise CaseReviewError(f"{out} already exists and may hold someone's labels: choose another file name, or "
                              "add --replace to overwrite it")
    con = open_database(db_path)
    try:
        filters = KnownValues(con).review_filters(year_from, year_to, nation, review_type, area)
        section = check_section(con, section)
        ids = [row[0] for row in con.execute(_PASSAGE_IDS, {**filters, "section": section}).fetchall()]
        chosen = [ids[i] for i in np.random.default_rng(seed).permutation(len(ids))[:size]]
        rows = con.execute(_DRAWN, {"ids": chosen}).df().set_index("passage_id") if chosen else None
        info = provenance(con, db_path)
        in_database = theme_names(con)
    finally:
        con.close()
    within = describe_filters(filters)
    if not chosen:
        raise CaseReviewError("no passages to draw from" + (f" in the reviews kept by the filters ({within})"
                                                            if within else ": run `casereview run` first"))
    drawn = rows.loc[chosen].reset_index()  # in the order drawn
    taxonomy = _taxonomy()
    others = [name for theme, name in in_database.items() if theme not in taxonomy.ids]
    names = [theme.name for theme in taxonomy.themes] + others
    table = _table(drawn, names)
    info = {**info,
            "purpose": "passages to label by hand, then: casereview evaluate --gold " + out.name,
            "sample": f"{counted(len(table), 'passage')} drawn at random from {len(ids)} (seed {seed}), "
                      "listed in random order",
            "seed": seed, "reviews": within or "all", "section": section,
            "taxonomy": f"{taxonomy.path.name}, version {taxonomy.version}"}
    guide = _guide(taxonomy)
    companions: list[Path] = []
    if fmt == "xlsx":
        marks = {name: ["x", "?"] for name in [*names, NO_THEME]}
        write_xlsx(table, info, out, PASSAGES_SHEET, XLSX_WIDTHS, ["passage", "section", "review"],
                   extra_sheets={"How to label": guide}, choices=marks)
    else:
        instructions = out.with_name(out.name + ".how-to-label.txt")
        with writing(instructions):
            instructions.write_text(_guide_text(guide), encoding="utf-8")
        companions = [instructions, write_csv(table, info, out)]
    return LabelSheet(out, len(table), len(ids), names, companions, info, others)


def _taxonomy():
    from pipeline.themes.taxonomy import load_taxonomy

    return load_taxonomy()


def _table(drawn: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """The sheet's rows: where each passage is from, its text, an empty column per theme, "No theme", notes."""
    table = pd.DataFrame({
        "passage_id": drawn["passage_id"],
        "review": drawn["title"],
        "area": drawn["area"],
        "year": drawn["year"].astype("Int64"),
        "pages": [pages_label(None if pd.isna(a) else int(a), None if pd.isna(b) else int(b)).removeprefix("p. ")
                  for a, b in zip(drawn["page_start"], drawn["page_end"], strict=True)],
        "section": [section_trail(list_cell(h), sec, None) or None
                    for h, sec in zip(drawn["headings"], drawn["section"], strict=True)],
        "passage": drawn["text"],
    })
    for name in [*names, NO_THEME]:
        table[name] = ""
    table["notes"] = ""
    table["read_by_ocr"] = [OCR_NOTE if ocr else "" for ocr in drawn["ocr"]]
    return table


def _guide(taxonomy) -> pd.DataFrame:
    """The "How to label" sheet: how to mark, then each theme's definition, what counts and what does not."""
    rows = [
        ("How to label", "Read each passage and, in the theme columns beside it, put x under every theme the "
                         "passage is about: its point, not just its words (\"the court heard\" is not about legal "
                         "powers). Most passages are about no theme: put x under \"No theme\". Put ? when you are "
                         "unsure: the passage is then left out of that theme's figures. Work from the top: rows "
                         "are in random order, so the rows you have marked are a fair sample even if you stop "
                         "early, and rows with no mark are left out."),
        ("Then", "Save the file and run: casereview evaluate --gold FILE. It prints, for each theme, how many of "
                 "the passages you marked the model found (recall), how many of its tags you agree with "
                 "(precision) and how sure those figures are. A theme marked on only a few passages gives wide "
                 "intervals: draw a bigger sheet for a firmer figure."),
        ("Do not", "Do not change the passage text or the column headings; add notes in the notes column."),
    ]
    for theme in taxonomy.themes:
        parts = [theme.definition.strip()]
        if theme.includes:
            parts.append("Counts: " + "; ".join(theme.includes) + ".")
        if theme.excludes:
            parts.append("Does not count: " + "; ".join(theme.excludes) + ".")
        rows.append((theme.name, "\n".join(parts)))
    return pd.DataFrame(rows, columns=["", "what to do / what the theme covers"])


def _guide_text(guide: pd.DataFrame) -> str:
    """The guide as plain text, for the file beside a CSV sheet."""
    blocks = []
    for title, body in guide.itertuples(index=False):
        paragraphs = [textwrap.fill(part, 100) for part in str(body).split("\n")]
        blocks.append(f"{title}\n" + "\n".join(paragraphs))
    return "\n\n".join(blocks) + "\n"
