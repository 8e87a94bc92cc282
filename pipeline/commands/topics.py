"""``casereview topics``: find the topics the reviews talk about, list them, and place new passages in them.

BERTopic takes seconds to import, so it is only imported (through ``pipeline.topics``) inside the commands:
``--help`` answers at once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pipeline.commands.options import DB_OPTION, SEED, UserPath
from pipeline.settings import db_argument, default_db, quiet_third_parties

if TYPE_CHECKING:
    from pipeline.topics import TopicModelInfo

TERMS_SHOWN = 6


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def topics() -> None:
    """Find the topics the passages of the reviews talk about, and track them over the years.

    Topics are found by grouping passages whose meaning is close (BERTopic), then naming each group by its
    most telling words. They describe what the reviews discuss; they are not findings in themselves.

    Start with:  casereview topics fit   then:  casereview topics show
    """
    quiet_third_parties()


@topics.command()
@DB_OPTION
@click.option("--seed", type=SEED, default=42, show_default=True,
              help="Random seed: the same reviews and seed always give the same topics.")
@click.option("--min-topic-size", type=click.IntRange(2, None), default=None,
              help="Smallest topic, in passages (default: one passage in 50, at least 5). Smaller finds more, "
                   "narrower topics.")
def fit(db_path: Path | None, seed: int, min_topic_size: int | None) -> None:
    """Find the topics of all passages in the database and store them.

    Needs at least 40 passages. Uses the passage embeddings stored by `casereview run` with the theme
    model; passages without one are embedded first (a few minutes for thousands of passages).
    Saves the topic model in topics/<version>/ beside the database (outputs/topics/ for the default one)
    and three pages you can open in a browser (also offline) in that topics/ folder: topics_map.html,
    topics_terms.html and topics_by_year.html.
    Fitting again after adding reviews finds topics afresh (a new version); to keep the topics you have and
    only place the new passages in them, use `casereview topics assign`.

    Example:  casereview topics fit --seed 42
    """
    from pipeline.topics import fit_topics

    click.echo("Finding topics (about a minute)...", err=True)
    info = fit_topics(db_path or default_db(), seed=seed, min_topic_size=min_topic_size)
    for line in fit_summary(info):
        click.echo(line)
    _echo_files(info.files, info.notes)
    click.echo(f"See them with: casereview topics show{db_argument(db_path or default_db())}")


@topics.command()
@DB_OPTION
@click.option("--json", "as_json", is_flag=True,
              help='One line per topic: {"topic_id", "label", "terms", "size"}.')
def show(db_path: Path | None, as_json: bool) -> None:
    """List the topics of the newest topic model: number, size, label and top terms.

    The size is the number of passages in the topic when the model was made. Topic -1, if listed, holds the
    passages close to no topic.

    Example:  casereview topics show
    """
    from pipeline.topics import read_topics, topics_freshness

    model_version, rows = read_topics(db_path or default_db())
    if as_json:
        for row in rows:
            record = {"topic_id": row["topic_id"], "label": row["label"], "terms": row["terms"],
                      "size": row["size"]}
            click.echo(json.dumps(record, ensure_ascii=False))
        return
    click.echo(format_topics(model_version, rows))
    note = staleness_note(topics_freshness(db_path or default_db(), model_version), db_path)
    if note:
        click.echo(f"\n{note}")


def staleness_note(fresh: dict, db_path: Path | None) -> str | None:
    """What has changed in the database since the topics were found (reviews read since, or removed), and what
    to run; None when nothing has.

    >>> import datetime
    >>> note = staleness_note({"fitted_at": datetime.datetime(2026, 12, 1, 9, 30), "passages": 613, "now": 25,
    ...                        "unplaced": 0, "gone": 588}, None)
    >>> note.startswith("Note: the topics were found on 2026-12-01 in 613 passages; since then at least 588 of them")
    True
    >>> staleness_note({"fitted_at": None, "passages": 9, "now": 9, "unplaced": 0, "gone": 0}, None) is None
    True
    """
    if not fresh or not (fresh["unplaced"] or fresh["gone"]):
        return None
    db = db_argument(db_path or default_db())
    changes = []
    if fresh["unplaced"]:
        changes.append(f"{fresh['unplaced']} passages have been read that are in no topic yet (`casereview topics "
                       f"assign{db}` places them)")
    if fresh["gone"]:
        changes.append(f"at least {fresh['gone']} of them have gone from the database (reviews removed or read "
                       "again), so the sizes above count passages that are no longer there")
    return (f"Note: the topics were found on {fresh['fitted_at']:%Y-%m-%d} in {fresh['passages']} passages; since "
            f"then {'; and '.join(changes)}. Refit to find the topics of the passages there now: casereview "
            f"topics fit{db}")


def format_topics(model_version: str, rows: list[dict]) -> str:
    """The table people read: id, size, label and the first few terms of each topic."""
    label_width = max([len("label"), *(len(row["label"] or "") for row in rows)])
    lines = [f"Topic model {model_version}", f"{'id':>4}  {'size':>5}  {'label':<{label_width}}  top terms"]
    for row in rows:
        terms = ", ".join((row["terms"] or [])[:TERMS_SHOWN])
        lines.append(f"{row['topic_id']:>4}  {row['size']:>5}  {row['label'] or '':<{label_width}}  {terms}")
    return "\n".join(lines)


@topics.command()
@DB_OPTION
@click.option("--model", "model_dir", type=UserPath(exists=True, file_okay=False, path_type=Path), default=None,
              help="A saved topic model folder (default: the newest one made by `casereview topics fit`).")
def assign(db_path: Path | None, model_dir: Path | None) -> None:
    """Place passages that have no topic yet (reviews added since the fit) in the existing topics.

    The topics themselves do not change: each new passage goes to the topic it is closest to in meaning.
    Run it after `casereview run` has added reviews. Refit (`casereview topics fit`) when many reviews
    have been added, so that new subjects can show up as topics of their own.

    Example:  casereview topics assign
    """
    from pipeline.topics import assign_topics

    info = assign_topics(db_path or default_db(), model_dir)
    click.echo(f"Topic model {info.model_version}: {info.assigned} new passages placed in topics")
    _echo_files(info.files, info.notes)


def fit_summary(info: TopicModelInfo) -> list[str]:
    """What ``topics fit`` found, for people: topics, passages and settings, how many passages were placed in
    their nearest topic (and what share of all passages that is), and where the model is."""
    from pipeline.outputs.common import percent

    settings = info.settings
    # min_samples is shown only where it is not the min topic size (capped: see pipeline.topics.MAX_MIN_SAMPLES)
    density = (f", density judged on {settings.min_samples} neighbours"
               if settings.min_samples != settings.min_topic_size else "")
    lines = [f"Topic model {info.model_version}: {info.topics} topics in {info.passages} passages "
             f"(topics of at least {settings.min_topic_size} passages{density}, seed {settings.seed}, "
             f"{info.seconds} s)"]
    if info.outliers_reassigned:
        share = percent(info.outliers_reassigned / info.passages)
        lines.append(f"  {info.outliers_reassigned} of the {info.passages} passages ({share}) fitted no topic well "
                     "and were given the nearest one")
    if info.unassigned:
        lines.append(f"  {info.unassigned} passages are close to no topic (topic -1)")
    lines.append(f"  model saved in {info.model_dir}")
    return lines


def _echo_files(files: list[Path], notes: list[str]) -> None:
    for path in files:
        click.echo(f"  wrote {path}")
    for note in notes:
        click.echo(f"  note: {note}")
