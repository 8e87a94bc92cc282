"""How common each learning theme is, year by year: a table and a chart.

For each year and theme: how many of that year's reviews carry the theme (at least one passage tagged by
the theme model), out of the reviews whose text was read that year, and how many passages carry it. The
numbers come from the ``v_theme_trends`` view (see docs/views.md). With few reviews in a year a share moves
a lot from one review to the next: the table says how many reviews each share is based on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.errors import CaseReviewError
from pipeline.outputs.common import open_database, percent, provenance, resolve_theme, theme_names

CHART_SUFFIXES: tuple[str, ...] = (".png", ".svg")
FEW_REVIEWS = 5

_TRENDS = """
SELECT year, theme, reviews_with_theme, reviews_in_year, share_of_reviews, passages_with_theme,
       passages_in_year, share_of_passages
FROM v_theme_trends
WHERE $theme IS NULL OR theme = $theme
ORDER BY year, theme"""


def theme_trends(db_path: Path | str | None, theme: str | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Theme prevalence by year, and the provenance of the numbers.

    Parameters
    ----------
    db_path : Path, str or None
        The database (None: the default one).
    theme : str, optional
        Only this theme (id or name).

    Returns
    -------
    (pandas.DataFrame, dict)
        One row per year and theme: ``year``, ``theme``, ``theme_name``, ``reviews_with_theme``,
        ``reviews_in_year``, ``share_of_reviews`` (0-1), ``passages_with_theme``, ``passages_in_year``,
        ``share_of_passages`` (0-1); and the provenance (models, run, date, database).

    Raises
    ------
    CaseReviewError
        For an unknown theme, or when no passage has been tagged with a theme yet.
    """
    con = open_database(db_path)
    try:
        theme_id = resolve_theme(con, theme) if theme else None
        frame = con.execute(_TRENDS, {"theme": theme_id}).df()
        names = theme_names(con)
        info = provenance(con, db_path)
    finally:
        con.close()
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


def format_trends(frame: pd.DataFrame, info: dict[str, Any]) -> str:
    """A table for people: a row per theme, a column per year, 'reviews with theme/reviews read (share)'."""
    years = sorted(frame["year"].unique())
    per_year = frame.drop_duplicates("year").set_index("year")
    rows = [["Reviews read", *[str(per_year.loc[y, "reviews_in_year"]) for y in years]]]
    for name, group in frame.groupby("theme_name", sort=False):
        by_year = group.set_index("year")
        rows.append([name, *[
            f"{by_year.loc[y, 'reviews_with_theme']} ({percent(by_year.loc[y, 'share_of_reviews'])})"
            for y in years
        ]])
    header = ["Theme", *map(str, years)]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(cells))

    models = ", ".join(info["theme_models"]) or "unknown"
    out = [
        "Reviews carrying each theme, by year: number of reviews (share of the reviews read that year).",
        f"A review carries a theme when the theme model ({models}) tagged at least one of its passages.",
        "",
        line(header),
        line(["-" * w for w in widths]),
        line(rows[0]),
        *[line(row) for row in rows[1:]],
    ]
    few = [str(y) for y in years if per_year.loc[y, "reviews_in_year"] < FEW_REVIEWS]
    if few:
        out += ["", f"Note: fewer than {FEW_REVIEWS} reviews were read in {', '.join(few)}: shares in those years "
                "rest on very few reviews and can swing widely."]
    out += ["", f"Run {info['run_id'] or 'unknown'} · generated {info['generated_at']} UTC · {info['database']}"]
    return "\n".join(out)


def plot_trends(frame: pd.DataFrame, info: dict[str, Any], out: Path) -> Path:
    """Draw the share of reviews carrying each theme by year; PNG or SVG by ``out``'s suffix.

    Raises
    ------
    CaseReviewError
        If the suffix is not .png or .svg.
    """
    suffix = out.suffix.lower()
    if suffix not in CHART_SUFFIXES:
        raise CaseReviewError(f"the chart file must end in .png or .svg (got '{out.name}')")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    figure, axes = plt.subplots(figsize=(10, 5.5), dpi=120)
    try:
        for name, group in frame.groupby("theme_name", sort=False):
            axes.plot(group["year"], 100 * group["share_of_reviews"], marker="o", linewidth=1.8, label=name)
        axes.set_ylim(0, 105)
        axes.yaxis.set_major_formatter(PercentFormatter())
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlabel("Year of review")
        axes.set_ylabel("Share of the reviews read that year")
        axes.set_title("Learning themes in case reviews, by year")
        axes.grid(alpha=0.3)
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9)
        counts = frame.drop_duplicates("year").sort_values("year")
        per_year = ", ".join(f"{y}: {n}" for y, n in zip(counts["year"], counts["reviews_in_year"], strict=True))
        models = ", ".join(info["theme_models"]) or "unknown"
        figure.text(
            0.01, 0.01,
            f"Reviews read per year: {per_year}. "
            f"Theme model {models}; run {info['run_id'] or 'unknown'}; generated {info['generated_at'][:10]}.",
            fontsize=7, color="#555555", wrap=True,
        )
        figure.tight_layout(rect=(0, 0.05, 1, 1))
        out.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(out, format=suffix.lstrip("."), metadata={"Date": None} if suffix == ".svg" else None)
    finally:
        plt.close(figure)
    return out
