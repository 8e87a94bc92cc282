"""How common each learning theme is, year by year: a table, a chart, and a table file (CSV, Excel, Markdown).

For each year and theme: how many of that year's reviews carry the theme (at least one passage tagged by
the theme model), out of the reviews whose text was read that year, and how many passages carry it. The
table and chart show either measure; with long reviews nearly every review carries nearly every theme, and
the share of passages then tells years apart better. The numbers come from the ``v_theme_trends`` view (see
docs/views.md). With few reviews in a year a share moves a lot from one review to the next: the table says
how many reviews each share is based on.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.errors import CaseReviewError
from pipeline.outputs.common import (
    READ_BY_SHOWN,
    REVIEW_FILTERS,
    KnownValues,
    counted,
    describe_filters,
    open_database,
    percent,
    provenance,
    provenance_lines,
    read_by_line,
    resolve_theme,
    reviews_kept,
    shown_time,
    theme_names,
    theme_note,
)
from pipeline.outputs.tables import md_cell, write_csv, write_xlsx, writing
from pipeline.settings import db_argument

# The years and nations of the database's reviews, to name when filters keep none of them.

CHART_SUFFIXES: tuple[str, ...] = (".png", ".svg")
TABLE_SUFFIXES: tuple[str, ...] = (".csv", ".xlsx", ".md")
FEW_REVIEWS = 5
SVG_SALT = "casereview"  # see plot_trends
# With "reviews", when at least this share of the theme-year cells (in years with enough reviews) is at or above
# SATURATED, the table suggests "passages": one tagged passage puts a review in a theme's count, so with long
# reviews almost every review carries almost every theme and the shares no longer tell years apart.
SATURATED, SATURATED_CELLS = 0.9, 0.75
_COLUMNS = {  # measure -> (count column, share column, total column, the row of totals, what is counted)
    "reviews": ("reviews_with_theme", "share_of_reviews", "reviews_in_year", "Reviews read", "reviews"),
    "passages": ("passages_with_theme", "share_of_passages", "passages_in_year", "Passages read", "passages"),
}
MEASURES: tuple[str, ...] = tuple(_COLUMNS)

# theme_trends_at (migration 019) is v_theme_trends over the reviews that pass the filters, counting the tags of
# at least $min_score (all of them when NULL).
_TRENDS = """
SELECT year, theme, reviews_with_theme, reviews_in_year, share_of_reviews, passages_with_theme,
       passages_in_year, share_of_passages
FROM theme_trends_at($year_from, $year_to, $nation, $review_type, $area, $min_score)
WHERE $theme IS NULL OR theme = $theme
ORDER BY year, theme"""
# Below this probability a tag is weak (the model is unsure): how many counts rest only on such tags.
WEAK_SCORE = 0.5
# Of the (review, theme) pairs counted, those whose every tag is under WEAK_SCORE; of the tags counted, those under it.
_WEAK = f"""
WITH kept AS (SELECT r.review_id FROM reviews r WHERE {REVIEW_FILTERS} AND r.year IS NOT NULL),
tags AS (SELECT t.review_id, t.theme, t.score FROM passage_themes t JOIN kept USING (review_id)
         WHERE ($theme IS NULL OR t.theme = $theme) AND ($min_score IS NULL OR t.score >= $min_score))
SELECT (SELECT count(*) FROM (SELECT review_id, theme FROM tags GROUP BY ALL HAVING max(score) < {WEAK_SCORE})),
       (SELECT count(*) FROM (SELECT DISTINCT review_id, theme FROM tags)),
       (SELECT count(*) FILTER (WHERE score < {WEAK_SCORE}) FROM tags),
       (SELECT count(*) FROM tags)"""


def theme_trends(db_path: Path | str | None, theme: str | None = None, *, year_from: int | None = None,
                 year_to: int | None = None, nation: str | None = None, review_type: str | None = None,
                 area: str | None = None, min_score: float | None = None,
                 upgrade: bool = True) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Theme prevalence by year, and the provenance of the numbers (``upgrade``: see ``open_database``; the web
    pages pass False, never to wait for a run writing the database).

    Parameters
    ----------
    db_path : Path, str or None
        The database (None: the default one).
    theme : str, optional
        Only this theme (id or name).
    year_from, year_to, nation, review_type, area : optional
        Count only the reviews that pass these filters (as for search and export); shares are then out of
        those reviews.
    min_score : float, optional
        Count only tags of at least this probability (0-1), as ``--min-score`` does for search and export.

    Returns
    -------
    (pandas.DataFrame, dict)
        One row per year and theme: ``year``, ``theme``, ``theme_name``, ``reviews_with_theme``,
        ``reviews_in_year``, ``share_of_reviews`` (0-1), ``passages_with_theme``, ``passages_in_year``,
        ``share_of_passages`` (0-1); and the provenance (models, run, date, database, ``reviews``: the
        filters, or "all", ``min_score``, ``unread``: the reviews kept that could not be read, and ``weak``:
        how many review counts and tags rest on tags under ``WEAK_SCORE``, see ``trend_notes``).

    Raises
    ------
    CaseReviewError
        For an unknown theme, a filter value no review has, or when no passage (of the reviews kept) has
        been tagged with a theme yet.
    """
    con = open_database(db_path, upgrade=upgrade)
    try:
        theme_id = resolve_theme(con, theme) if theme else None
        filters = KnownValues(con).review_filters(year_from, year_to, nation, review_type, area)
        # theme_trends_for takes every review filter but the one review (a trend needs more than one)
        frame = con.execute(_TRENDS, {"theme": theme_id, "min_score": min_score,
                                      **{key: value for key, value in filters.items() if key != "review"}}).df()
        weak = con.execute(_WEAK, {"theme": theme_id, "min_score": min_score, **filters}).fetchone()
        kept, kept_read = reviews_kept(con, filters, "trends can be shown")
        names = theme_names(con)
        info = provenance(con, db_path)
    finally:
        con.close()
    within = describe_filters(filters)
    info["reviews"] = within or "all"
    info["min_score"] = min_score
    info["unread"] = kept - kept_read
    info["weak"] = dict(zip(("reviews", "of_reviews", "tags", "of_tags"), weak, strict=True))
    if theme_id:  # how the model did on real sentences labelled with the one theme shown
        info["theme_real_text_check"] = theme_note(info["theme_models"], theme_id, names.get(theme_id))
    if frame.empty and within:
        raise CaseReviewError(f"no review kept by the filters ({within}) has a passage tagged with a theme: "
                              "try wider filters")
    if frame.empty:
        raise CaseReviewError(
            "no passage is tagged with a theme yet, so there are no trends to show: run `casereview run` "
            "with the theme model"
        )
    order = {theme_id: index for index, theme_id in enumerate(names)}
    frame.insert(2, "theme_name", [names.get(t, t) for t in frame["theme"]])
    frame["_order"] = [order.get(t, len(order)) for t in frame["theme"]]
    frame = frame.sort_values(["_order", "year"]).drop(columns="_order").reset_index(drop=True)
    for column in ("year", "reviews_with_theme", "reviews_in_year", "passages_with_theme", "passages_in_year"):
        frame[column] = frame[column].astype(int)
    return frame, info


def trend_table(frame: pd.DataFrame, measure: str) -> tuple[list[str], list[list[str]]]:
    """The header and rows of the table people read: a row per theme after a row of totals, a column per year,
    'number with the theme (share of those read)'."""
    count, share, total, total_label, _ = _columns(measure)
    years = sorted(frame["year"].unique())
    per_year = frame.drop_duplicates("year").set_index("year")
    rows = [[total_label, *[str(per_year.loc[y, total]) for y in years]]]
    for name, group in frame.groupby("theme_name", sort=False):
        by_year = group.set_index("year")
        rows.append([name, *[f"{by_year.loc[y, count]} ({percent(by_year.loc[y, share])})" for y in years]])
    return ["Theme", *map(str, years)], rows


def definition(info: dict[str, Any], measure: str) -> str:
    models = ", ".join(info["theme_models"]) or "unknown"
    least = (f" with a probability of at least {percent(info['min_score'])}" if info.get("min_score") is not None
             else "")
    if measure == "reviews":
        return (f"A review carries a theme when the theme model ({models}) tagged at least one of its passages"
                f"{least}.")
    return (f"A passage carries a theme when the theme model ({models}) tagged it{least}; a passage may carry "
            "several.")


def trend_notes(frame: pd.DataFrame, measure: str, option: str = "`--measure passages`",
                info: dict[str, Any] | None = None, min_score_option: str = "`--min-score 0.5`",
                status_hint: str | None = None) -> list[str]:
    """What to keep in mind reading the table: years with few reviews, shares that no longer differ (``option``
    is how the note names the way to count passages instead), counts that rest on weak tags only (with
    ``info``; ``min_score_option`` names the way to leave them out) and reviews left out as unread (the note
    names ``casereview status`` for why, or ``status_hint``)."""
    years = sorted(frame["year"].unique())
    per_year = frame.drop_duplicates("year").set_index("year")
    notes = []
    few = [str(y) for y in years if per_year.loc[y, "reviews_in_year"] < FEW_REVIEWS]
    if len(few) > 1 and len(few) == len(years):  # said once, not as a list of every year
        notes.append(f"Note: fewer than {FEW_REVIEWS} reviews were read in every year: every share rests on very few "
                     "reviews and can swing widely.")
    elif few:
        notes.append(f"Note: fewer than {FEW_REVIEWS} reviews were read in {', '.join(few)}: shares in those years "
                     "rest on very few reviews and can swing widely.")
    if measure == "reviews" and saturated(frame):
        notes.append(f"Note: in most years nearly every review carries nearly every theme ({percent(SATURATED)} or "
                     f"more of the reviews), because one tagged passage is enough; {option} shows how "
                     "much of each year's text is about each theme, which tells years apart better.")
    info = info or {}
    weak = info.get("weak") or {}
    # (a lowest score of 50% or more leaves no weak tag to count)
    weak_counted = info.get("min_score") is None or info["min_score"] < WEAK_SCORE
    if weak_counted and measure == "reviews" and weak.get("reviews"):
        notes.append(f"Note: {weak['reviews']} of the {weak['of_reviews']} times a review is counted for a theme rest "
                     f"only on weak tags (every one under {percent(WEAK_SCORE)}: the model was unsure); "
                     f"{min_score_option} counts only tags of {percent(WEAK_SCORE)} or more.")
    elif weak_counted and measure == "passages" and weak.get("tags"):
        notes.append(f"Note: {weak['tags']} of the {weak['of_tags']} tags counted are weak (under "
                     f"{percent(WEAK_SCORE)}: the model was unsure); {min_score_option} counts only tags of "
                     f"{percent(WEAK_SCORE)} or more.")
    if info.get("unread"):
        unread = info["unread"]
        where = "in the database" if info.get("reviews", "all") == "all" else "kept by the filters"
        why = status_hint or (f"`casereview status{db_argument(info['database']) if info.get('database') else ''}`")
        notes.append(f"Note: {counted(unread, 'review')} {where} could not be read, so "
                     f"{'it is' if unread == 1 else 'they are'} left out of every count ({why} says why).")
    return notes


def write_trends_table(frame: pd.DataFrame, info: dict[str, Any], out: Path, measure: str = "reviews"
                       ) -> Path | None:
    """Write the trends to ``out`` by its suffix, with their provenance: CSV (one row per year and theme, both
    measures, with ``NAME.provenance.json`` beside it), Excel (the same rows, and a Provenance sheet) or
    Markdown (the table people read, for ``measure``, under a provenance header). Returns the CSV's
    provenance file (else None).
    """
    suffix = out.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise CaseReviewError(f"--out {out}: a trends table is written as CSV, Excel or Markdown (.csv, .xlsx, .md)")
    if suffix == ".md":
        about = {**info, "measure": measure, "rows": len(frame), "definition": definition(info, measure)}
        header, rows = trend_table(frame, measure)
        unit = _columns(measure)[4]
        lines = [f"# {unit.capitalize()} carrying each theme, by year", ""]
        lines += [f"> {line}  " for line in provenance_lines(about)]
        kept = info.get("reviews", "all")
        lines += ["", f"Number of {unit} carrying each theme (share of the {unit} read that year)."
                  + (f" Reviews kept by the filters: {kept}." if kept != "all" else "") + f" {about['definition']}",
                  "", "| " + " | ".join(md_cell(cell) for cell in header) + " |",
                  "| --- | " + " | ".join("---:" for _ in header[1:]) + " |"]
        lines += ["| " + " | ".join(md_cell(cell) for cell in row) + " |" for row in rows]
        for note in trend_notes(frame, measure, option="`casereview trends --measure passages`", info=info,
                                min_score_option="`casereview trends --min-score 0.5`"):
            lines += ["", note]
        with writing(out):
            out.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return None
    about = {**info, "rows": len(frame),
             "definition": f"{definition(info, 'reviews')} {definition(info, 'passages')} Shares are 0-1. "
                           f"few_reviews: fewer than {FEW_REVIEWS} reviews were read that year, so its shares can "
                           "swing widely (one review moves them a lot).",
             "notes": " ".join(trend_notes(frame, "reviews", option="casereview trends --measure passages",
                                           info=info, min_score_option="casereview trends --min-score 0.5"))}
    table = frame.round({"share_of_reviews": 4, "share_of_passages": 4})
    # beside the year's counts, so a table pasted into a briefing keeps the caveat the chart shades
    table.insert(list(table.columns).index("reviews_in_year") + 1, "few_reviews",
                 table["reviews_in_year"] < FEW_REVIEWS)
    if suffix == ".csv":
        return write_csv(table, about, out)
    write_xlsx(table, about, out, "Trends", {"theme_name": 24}, [])
    return None


TABLE_WIDTH = 120  # characters: what a terminal window shows without wrapping a line


def _year_blocks(widths: list[int], width: int = TABLE_WIDTH) -> list[list[int]]:
    """The year columns (indices after the theme column) in runs that fit ``width`` beside the theme column.

    >>> _year_blocks([20] + [8] * 12, width=70)
    [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11, 12]]
    """
    blocks: list[list[int]] = [[]]
    used = widths[0]
    for i in range(1, len(widths)):
        if blocks[-1] and used + 2 + widths[i] > width:
            blocks.append([])
            used = widths[0]
        blocks[-1].append(i)
        used += 2 + widths[i]
    return blocks


COUNTS_ARE_TAGS = ("The counts are of the theme model's tags, not of what people found: a theme the model misses "
                   "is not counted, so read a change from year to year as a pointer to the passages, to be read, "
                   "not as a measurement (`casereview trends --theme THEME` says how the model did on that theme).")


def format_trends(frame: pd.DataFrame, info: dict[str, Any], measure: str = "reviews") -> str:
    """A table for people: a row per theme, a column per year, 'number with the theme (share of those read)'.

    ``measure`` is "reviews" (a review carries a theme when at least one of its passages is tagged) or
    "passages" (how many of the year's passages are tagged with the theme).
    """
    unit = _columns(measure)[4]
    header, rows = trend_table(frame, measure)
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str], columns: list[int]) -> str:
        return "  ".join(cells[i].ljust(widths[0]) if i == 0 else cells[i].rjust(widths[i]) for i in columns)

    kept = info.get("reviews", "all")
    out = [
        f"{unit.capitalize()} carrying each theme, by year: number of {unit} (share of the {unit} read that year).",
        *([f"Reviews kept by the filters: {kept}."] if kept != "all" else []),
        definition(info, measure),
    ]
    # Many years make a table wider than a terminal: the years are set out in blocks that fit, one under another.
    for block in _year_blocks(widths):
        columns = [0, *block]
        out += ["", line(header, columns), line(["-" * w for w in widths], columns),
                *[line(row, columns) for row in rows]]
    for note in trend_notes(frame, measure, info=info):
        out += ["", note]
    # how far the counts hold: they are the model's tags (the chart's note says so too)
    out += ["", COUNTS_ARE_TAGS, *([info["note"]] if info.get("note") else [])]
    if info.get("theme_real_text_check"):
        out.append(info["theme_real_text_check"])
    # The runs that read the reviews counted, as the other outputs name them: the latest run may have read none.
    out += ["", f"Generated {shown_time(info['generated_at'])} · {info['database']}", _read_by(info)]
    return "\n".join(out)


def saturated(frame: pd.DataFrame) -> bool:
    """Whether at least ``SATURATED_CELLS`` of the theme-year shares of reviews, in years with at least
    ``FEW_REVIEWS`` reviews (all years when none has that many), are ``SATURATED`` or more."""
    enough = frame[frame["reviews_in_year"] >= FEW_REVIEWS]
    cells = enough if not enough.empty else frame
    return bool(len(cells)) and (cells["share_of_reviews"] >= SATURATED).mean() >= SATURATED_CELLS


def _read_by(info: dict[str, Any]) -> str:
    """The runs that last wrote the database's reviews (see :func:`read_by_line`); the latest finished run when
    the database does not say."""
    if info.get("reviews_read_by"):
        return read_by_line(info["reviews_read_by"])
    return f"Latest finished run: {info.get('run_id') or 'none'}"


def _runs(info: dict[str, Any]) -> str:
    """The chart's short form of :func:`_read_by`: 'run A, run B', with how many earlier runs there were."""
    runs = list(info.get("reviews_read_by") or {})
    if not runs:
        return f"run {info.get('run_id') or 'unknown'}"
    earlier = len(runs) - READ_BY_SHOWN
    return (f"{counted(earlier, 'earlier run')} and " if earlier > 0 else "") + ", ".join(
        f"run {rid}" for rid in runs[-READ_BY_SHOWN:])


def _kept(info: dict[str, Any]) -> str:
    kept = info.get("reviews", "all")
    return "" if kept == "all" else f" ({kept})"


def _columns(measure: str) -> tuple[str, str, str, str, str]:
    if measure not in _COLUMNS:
        raise CaseReviewError(f"unknown measure '{measure}': use {' or '.join(MEASURES)}")
    return _COLUMNS[measure]


CHART_MIN_WIDTH = 7.5  # inches: a chart of one or two panels is drawn this wide
NOTE_POINTS = 7  # the size of the note under a chart
NOTE_CHARS_PER_INCH = 17  # characters of the note a line holds per inch of the chart's width, at that size
NOTE_LINE_INCHES = NOTE_POINTS * 1.35 / 72  # the height of a line of the note


def plot_trends(frame: pd.DataFrame, info: dict[str, Any], out: Path, measure: str = "reviews", *,
                title: str = "Learning themes in case reviews, by year", made: str | None = None) -> Path:
    """Draw the share of reviews (or passages, with ``measure``) carrying each theme by year; PNG or SVG by
    ``out``'s suffix. The same chart draws other series in the frame's ``theme_name`` (a set of searches),
    under its own ``title``, with ``made`` saying what counted them (instead of the theme model).

    Raises
    ------
    CaseReviewError
        If the suffix is not .png or .svg.
    """
    suffix = out.suffix.lower()
    if suffix not in CHART_SUFFIXES:
        raise CaseReviewError(f"the chart file must end in .png or .svg (got '{out.name}')")
    figure = draw_trends(frame, info, measure, title=title, made=made)  # (sets the Agg backend first)
    import matplotlib
    import matplotlib.pyplot as plt

    try:
        # An SVG names its parts by ids matplotlib makes random unless salted: with a fixed salt (and no date) the
        # same numbers give the same file, byte for byte.
        with writing(out), matplotlib.rc_context({"svg.hashsalt": SVG_SALT}):
            figure.savefig(out, format=suffix.lstrip("."), metadata={"Date": None} if suffix == ".svg" else None)
    finally:
        plt.close(figure)
    return out


def draw_trends(frame: pd.DataFrame, info: dict[str, Any], measure: str = "reviews", *,
                title: str = "Learning themes in case reviews, by year", made: str | None = None):
    """The figure ``plot_trends`` saves (a matplotlib Figure: close it with ``matplotlib.pyplot.close``)."""
    _, share, _, _, unit = _columns(measure)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    # One small panel per theme on the same scale: drawn on one axis, lines at 100% hide each other.
    themes = list(dict.fromkeys(frame["theme_name"]))
    columns = min(4, max(1, len(themes)))
    rows = -(-len(themes) // columns)
    counts = frame.drop_duplicates("year").sort_values("year")
    few = set(counts.loc[counts["reviews_in_year"] < FEW_REVIEWS, "year"])
    # years inside the span with no review read: the line breaks there (it would join the years either side, and
    # the unshaded band would read as a year of many reviews), and the band is hatched
    span = list(range(int(counts["year"].min()), int(counts["year"].max()) + 1))
    empty = sorted(set(span) - set(counts["year"]))
    per_year = ", ".join(f"{y}: {n}" for y, n in zip(counts["year"], counts["reviews_in_year"], strict=True))
    models = ", ".join(info["theme_models"]) or "unknown"
    shaded = (f"Shaded years, hollow points: fewer than {FEW_REVIEWS} reviews read, so their shares can swing "
              "widely. " if few else "")
    if empty:
        shaded += f"Hatched: no review read in {', '.join(map(str, empty))}. "
    if measure == "reviews" and made is None and saturated(frame):
        shaded += ("Nearly every review carries nearly every theme (one tagged passage is enough): "
                   "--measure passages tells years apart better. ")
    # One or two panels are drawn wider than a panel each, so the title, the axis labels and the note fit. The
    # note is wrapped to the width and given the room its lines take, under the label of the years.
    width = max(3.2 * columns, CHART_MIN_WIDTH)
    note = textwrap.fill(
        f"{shaded}Reviews read per year{_kept(info)}: {per_year}. "
        f"{made or f'Theme model {models}'} (counts of its tags, which miss some of what people would tag: read "
        f"them as pointers, not measurements); reviews read by {_runs(info)}; generated "
        f"{info['generated_at'][:10]}.",
        width=int(width * NOTE_CHARS_PER_INCH))
    note_height = (note.count("\n") + 1) * NOTE_LINE_INCHES + 0.1
    below = note_height + 0.05  # the note; tight_layout makes room above it for "Year of review"
    height = 2.5 * rows + 0.8 + below
    figure, grid = plt.subplots(rows, columns, figsize=(width, height), dpi=120, sharex=True, sharey=True,
                                squeeze=False)
    try:
        top = 105 if measure == "reviews" else min(105, 100 * frame[share].max() * 1.15 + 1)
        panels = grid.ravel()
        for axes, name in zip(panels, themes, strict=False):
            group = frame[frame["theme_name"] == name].sort_values("year")
            for year in few:
                axes.axvspan(year - 0.5, year + 0.5, color="#ececec", linewidth=0)
            for year in empty:
                axes.axvspan(year - 0.5, year + 0.5, facecolor="white", edgecolor="#c8c8c8", hatch="///", linewidth=0)
            line = group.set_index("year")[share].reindex(span)  # NaN in empty years: the line breaks there
            axes.plot(span, 100 * line.to_numpy(dtype=float), color="#1f5f8b", linewidth=1.6)
            steady = group[~group["year"].isin(few)]
            shaky = group[group["year"].isin(few)]
            axes.plot(steady["year"], 100 * steady[share], "o", color="#1f5f8b", markersize=4.5)
            axes.plot(shaky["year"], 100 * shaky[share], "o", markerfacecolor="white", markeredgecolor="#1f5f8b",
                      markersize=4.5)
            axes.set_title(name, fontsize=10)
            axes.set_ylim(0, top)
            axes.yaxis.set_major_formatter(PercentFormatter())
            axes.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
            axes.set_xlim(counts["year"].min() - 0.6, counts["year"].max() + 0.6)
            axes.tick_params(labelsize=8)
            axes.grid(alpha=0.3)
        for axes in panels[len(themes):]:
            axes.axis("off")
        figure.supxlabel("Year of review", fontsize=9, y=(note_height + 0.05) / height, va="bottom")
        figure.supylabel(f"Share of the {unit} read that year", fontsize=9)
        scope = [*([info["reviews"]] if info.get("reviews", "all") != "all" else []),
                 *([f"tags of at least {percent(info['min_score'])}"] if info.get("min_score") is not None else [])]
        figure.suptitle(title + (f"\n{'; '.join(scope)}" if scope else ""), fontsize=12)
        figure.text(0.1 / width, 0.05 / height, note, fontsize=NOTE_POINTS, color="#555555", va="bottom")
        figure.tight_layout(rect=(0, below / height, 1, 1))
    except BaseException:
        plt.close(figure)
        raise
    return figure
