"""Pictures of a topic model, written as HTML pages that open offline (plotly.js is inside each page)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.store import Store

if TYPE_CHECKING:
    from bertopic import BERTopic

# Written to the topics folder by every fit (the newest fit's pictures); each opens offline in a browser.
MAP_HTML, TERMS_HTML, YEARS_HTML = "topics_map.html", "topics_terms.html", "topics_by_year.html"
MAP_MIN_TOPICS = 3  # BERTopic's topic map places the topics with UMAP, which fails for fewer
_SELECT_YEAR_SHARES = """
SELECT year, topic_id, label, share, passages FROM v_topic_trends WHERE year IS NOT NULL ORDER BY year, topic_id"""
# The reviews and passages each year's shares rest on (the passages placed in topics of the newest model).
_SELECT_YEAR_TOTALS = """
SELECT r.year, count(DISTINCT p.review_id) AS reviews, count(*) AS passages
FROM passage_topics pt
JOIN (SELECT model_version FROM topic_models ORDER BY fitted_at DESC, model_version LIMIT 1) USING (model_version)
JOIN passages p USING (passage_id)
JOIN reviews r USING (review_id)
WHERE r.year IS NOT NULL
GROUP BY r.year ORDER BY r.year"""
FEW_REVIEWS = 5  # as ``casereview trends``: fewer reviews than this in a year, and its shares can swing on one
_SELECT_MODEL = """
SELECT model_version, seed, passages FROM topic_models ORDER BY fitted_at DESC, model_version LIMIT 1"""


def made_from(store: Store) -> str:
    """What a picture was made from, under its title: the topic model (its version, seed and passages) and the
    database, so that a page saved or sent on can be told from another fit's. No date: the same fit of the same
    database draws the same page, byte for byte."""
    with store.connect(read_only=True) as con:
        row = con.execute(_SELECT_MODEL).fetchone()
    model = (f"topic model {row[0]} (seed {row[1]}, found in {row[2]} passages)" if row
             else "no topic model recorded")
    return f"{model} · database {Path(store.path).name}"  # (its name only: a page may be sent on)


def _titled(figure: Any, about: str) -> Any:
    """``figure`` with ``about`` under its title, in small type."""
    title = figure.layout.title.text or ""
    figure.update_layout(title={"text": f"{title}<br><sup>{html.escape(about)}</sup>"})
    return figure


def write_visualisations(model: BERTopic, store: Store, out_dir: Path) -> tuple[list[Path], list[str]]:
    """Write the topic map, the topic terms and the topics by year as HTML pages that open offline.

    Parameters
    ----------
    model : BERTopic
        The fitted model.
    store : Store
        The database (for the shares by year).
    out_dir : Path
        The topics folder.

    Returns
    -------
    files, notes : list of Path, list of str
        The pages written, and a note for each picture this corpus could not give (its old page is removed).
    """
    topics = [topic for topic in model.topic_sizes_ if topic >= 0]
    pictures = {
        MAP_HTML: lambda: model.visualize_topics(custom_labels=True, title="<b>Topic map</b>"),
        TERMS_HTML: lambda: model.visualize_barchart(top_n_topics=len(topics), n_words=8, custom_labels=True,
                                                     title="<b>Topic terms</b>"),
    }
    from pipeline.topics import quiet_bertopic

    files, notes = [], []
    for name, draw in pictures.items():
        try:
            with quiet_bertopic():
                figure = draw()
        except (ValueError, TypeError, IndexError) as exc:
            reason = f"{len(topics)} topics are too few for it" if len(topics) < MAP_MIN_TOPICS else str(exc)
            notes.append(_skip(out_dir / name, reason))
            continue
        files.append(_write_html(_titled(figure, made_from(store)), out_dir / name))
    year_files, year_notes = write_year_chart(store, out_dir)
    return files + year_files, notes + year_notes


def write_year_chart(store: Store, out_dir: Path) -> tuple[list[Path], list[str]]:
    """Write each topic's share of the passages of each year (from ``v_topic_trends``) as a bar chart."""
    import plotly.graph_objects as go

    with store.connect(read_only=True) as con:
        rows = con.execute(_SELECT_YEAR_SHARES).fetchall()
        totals = {year: (reviews, passages) for year, reviews, passages in con.execute(_SELECT_YEAR_TOTALS).fetchall()}
    if not rows:
        return [], [_skip(out_dir / YEARS_HTML, "no review has a year placed in this model's topics")]
    few = sorted(year for year, (reviews, _) in totals.items() if reviews < FEW_REVIEWS)

    def year_label(year: int) -> str:  # each year with what it rests on; a year of few reviews marked
        reviews, passages = totals.get(year, (0, 0))
        return f"{year}{'*' if year in few else ''}<br>{reviews} review{'' if reviews == 1 else 's'}"

    figure = go.Figure()
    for topic_id in sorted({row[1] for row in rows}):
        chosen = [row for row in rows if row[1] == topic_id]
        figure.add_bar(x=[year_label(row[0]) for row in chosen], y=[row[3] for row in chosen],
                       customdata=[[row[4], totals.get(row[0], (0, 0))[1]] for row in chosen],
                       hovertemplate="%{y:.0%} of the year's passages (%{customdata[0]} of %{customdata[1]})",
                       name=f"{topic_id}: {chosen[0][2]}")
    title = "<b>Topics by year of review</b> (share of the year's passages)"
    if few:
        title += (f"<br><sup>* fewer than {FEW_REVIEWS} reviews that year: its shares rest on very few reviews and "
                  "can swing with one of them</sup>")
    # categories are placed in the order a trace first names them: a year the first topic lacks went last
    order = [year_label(year) for year in sorted({row[0] for row in rows})]
    figure.update_layout(barmode="stack", title=title, xaxis={"title": "year (reviews read)", "type": "category",
                                                              "categoryorder": "array", "categoryarray": order},
                         yaxis={"title": "share", "tickformat": ".0%"})
    return [_write_html(_titled(figure, made_from(store)), out_dir / YEARS_HTML)], []


def _write_html(figure: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    # plotly.js inside the page: it opens offline. The chart's element is named after the page, not at random,
    # so the same topics give the same page, byte for byte.
    figure.write_html(path, include_plotlyjs=True, div_id=path.stem.replace("_", "-"))
    return path


def _skip(path: Path, reason: str) -> str:
    path.unlink(missing_ok=True)
    return f"{path.name} not drawn: {reason}"
