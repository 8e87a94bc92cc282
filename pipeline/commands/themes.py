"""The theme commands: ``classify`` (tag texts), ``evaluate`` (score a model on a labelled file) and
``train`` (compare approaches and save a model). Attached to the ``casereview`` group in ``pipeline.cli``.

Heavy libraries (scikit-learn, onnxruntime, spaCy) are imported inside the commands so ``--help`` is fast.
"""

from __future__ import annotations

import functools
import json
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path

import click

from pipeline.commands.options import DB_OPTION, SEED, UserPath
from pipeline.errors import CaseReviewError
from pipeline.files import SAVE_AS_UTF8, NotUtf8Error, decode_utf8
from pipeline.settings import models_dir, quiet_third_parties

BATCH = 256
MODEL_OPTION = click.option(
    "--model", "model_dir", type=UserPath(file_okay=False, path_type=Path), default=None,
    help="The theme model folder to use (default: models/themes-v1).")


class UserInputError(click.ClickException):
    """A problem with the user's input or files: printed as one 'Error: ...' line, exit status 2."""

    exit_code = 2


def _user_errors(command):
    """Turn CaseReviewError into a one-line error with exit status 2, also when run outside the group."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        quiet_third_parties()
        try:
            return command(*args, **kwargs)
        except CaseReviewError as exc:
            raise UserInputError(str(exc)) from None

    return wrapper


def _default_model() -> Path:
    return models_dir() / "themes-v1"


@click.command()
@MODEL_OPTION
@_user_errors
def classify(model_dir: Path | None) -> None:
    """Tag texts with learning themes: one line in, one line of results out.

    Reads standard input, one passage per line: either JSON such as {"id": "p1", "text": "..."} or plain
    text (its id is then its line number). Blank lines are skipped. For each passage it writes one JSON line,
    in the same order: {"id", "labels", "scores"}, where "scores" gives every theme's probability (0 to 1)
    and "labels" lists the themes whose probability reaches the model's threshold. As in the pipeline, a
    passage of several sentences is scored as a whole and sentence by sentence, and each theme's score is
    the higher of the two. No database is needed.

    A line is JSON when it opens with {" (or {'); otherwise it is plain text, even one opening with a brace
    ("{Child A} was not seen"). If a line cannot
    be read (broken JSON, no "text", a text of over a million characters: split it into passages), nothing is
    written: the error names the line, and the command exits with status 2.

    Example:  echo "The child was never seen on her own." | casereview classify
    """
    from pipeline.themes.model import ThemeModel

    try:
        text = decode_utf8(click.get_binary_stream("stdin").read())
    except NotUtf8Error as exc:
        raise CaseReviewError(f"input line {exc.line} is not UTF-8 text: {SAVE_AS_UTF8}") from None
    items = _read_passages(text.split("\n"))
    model = ThemeModel.load(model_dir or _default_model())
    for start in range(0, len(items), BATCH):
        batch = items[start:start + BATCH]
        probabilities = model.score([text for _, text in batch])
        for (item_id, _), row, labels in zip(batch, probabilities, model.labels_from(probabilities), strict=True):
            scores = {theme: round(float(p), 4) for theme, p in zip(model.themes, row, strict=True)}
            click.echo(json.dumps({"id": item_id, "labels": labels, "scores": scores}, ensure_ascii=False))


def _read_passages(lines: Iterable[str]) -> list[tuple[object, str]]:
    """(id, text) for each non-blank line; CaseReviewError naming the line for a bad one."""
    items = []
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if not items and _TABLE_HEADER.match(stripped):
            raise CaseReviewError(
                f"input line {number} looks like the header row of a table (CSV or spreadsheet): {stripped[:60]!r}. "
                "classify reads one passage a line, as plain text or as JSON lines ({\"id\": ..., \"text\": ...}), so "
                "the table's cells would be read as part of each passage: give only its text column, one passage a "
                "line, or save it as JSON lines")
        if not _JSON_LINE.match(stripped):
            _check_length(number, stripped)  # plain text, even one opening with "{redacted}"
            items.append((number, stripped))
            continue
        try:
            record = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise CaseReviewError(f"input line {number}: not valid JSON ({exc.msg.removesuffix(' at')} at column "
                                  f"{exc.colno}); "
                                  'give {"id": ..., "text": ...} or plain text') from None
        text = record.get("text") if isinstance(record, dict) else None
        if isinstance(record, dict) and text is not None and not isinstance(text, str):
            raise CaseReviewError(f'input line {number}: "text" is {json.dumps(text)[:40]}, not text: put the '
                                  'passage in quotes ("text": "...")')
        if not isinstance(text, str) or not text.strip():
            raise CaseReviewError(f'input line {number}: no "text" (a JSON line needs a non-empty "text" field)')
        _check_length(number, text)
        items.append((record.get("id", number), text))
    return items


# A line opening as a JSON object does ({"id": ...), whether it is whole or not, or one that is an empty object or
# has a quote after its brace ({'id': ...}: a Python dictionary); "{Child A} was not seen" is text.
_JSON_LINE = re.compile(r"""\{\s*(?:["']|\}\s*$)""")
# The first row of a table pasted or saved as CSV: an id column and a text column, with commas, semicolons or tabs.
_TABLE_HEADER = re.compile(r"""\ufeff?["']?(?:passage_?)?id["']?\s*[,;\t]\s*["']?(?:text|passage)["']?"""
                           r"""\s*(?:[,;\t].*)?$""", re.IGNORECASE)


def _check_length(number: int, text: str) -> None:
    from pipeline.themes.data import too_long

    if too_long(text):
        raise CaseReviewError(f"input line {number}: {too_long(text)}")


@click.command()
@click.option("--gold", "gold_path", required=True, type=UserPath(dir_okay=False, path_type=Path),
              help='Labelled passages: a label sheet (.xlsx or .csv, as `casereview label-sheet` writes) or a '
                   'JSON-lines file, {"id", "text", "labels", "uncertain"} per line.')
@MODEL_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON (for programs) instead of a table.")
@click.option("--resamples", type=click.IntRange(min=0), default=1000, show_default=True,
              help="Bootstrap resamples for each F1's 95% interval (0: no intervals).")
@click.option("--errors", "errors_path", type=UserPath(dir_okay=False, path_type=Path), default=None,
              help="Also write the passages the model got wrong to this JSON-lines file: the themes it missed, "
                   "the themes it tagged wrongly, and its scores.")
@click.option("--record", is_flag=True,
              help="Keep the result in the database, so that reports, exports and searches say how the model "
                   "did on your labelled passages (recording the same file again replaces it).")
@DB_OPTION
@_user_errors
def evaluate(gold_path: Path, model_dir: Path | None, as_json: bool, resamples: int,
             errors_path: Path | None, record: bool, db_path: Path | None) -> None:
    """Check how well a theme model agrees with passages you have labelled yourself.

    The gold file is a label sheet (Excel or CSV: `casereview label-sheet` draws passages from your reviews
    into one; mark x under each theme a passage is about, ? when unsure, or x under "No theme"; rows not
    marked yet are left out), or JSON lines, each giving a passage's "text", its "labels" (the themes it is
    about, possibly none) and optionally "uncertain" (themes you are unsure about: the passage is left out
    of those themes' scores). Prints, for each theme: precision (of the passages the model tagged, the share
    you agree with), recall (of the passages you labelled, the share the model found), F1 (their balance)
    and support (how many passages you labelled with the theme), then averages over all themes and over
    the core themes. Each F1 comes with a 95% interval: the range it takes over resamples of your passages,
    so a small file shows how uncertain its scores are. A second table says how far to trust a probability
    on your text: for scores in each band (say 90-99%), the share that belong to passages you labelled with
    the theme. With --errors, the passages it got wrong go to a file, to read why.

    With --record, the result is kept in the database (--db), and reports, exports and searches of the
    model's tags then say how it did on your passages.

    \b
    Examples:
      casereview evaluate --gold check.xlsx
      casereview evaluate --gold check.xlsx --record
      casereview evaluate --gold my_labels.jsonl --errors wrong.jsonl
    """
    from pipeline.outputs.common import theme_names
    from pipeline.themes.data import read_gold
    from pipeline.themes.errors import UnknownThemeError
    from pipeline.themes.evaluate import disagreements, format_reliability, format_table, reliability
    from pipeline.themes.evaluate import evaluate as score
    from pipeline.themes.model import ThemeModel

    model = ThemeModel.load(model_dir or _default_model())
    names = theme_names()
    try:
        gold, notes = read_gold(gold_path, model.themes, names=names)
    except UnknownThemeError as exc:
        raise UnknownThemeError(
            f"{exc}. Those are the themes of the model {model.version} ({model_dir or _default_model()}); if the "
            "file is labelled for a model trained with themes of your own, give that model's folder with "
            "--model") from None
    for note in notes:
        click.echo(f"Note: {gold_path}: {note}.", err=True)
    stored = None
    if record:  # of the passages the database holds, and their tags there, as the outputs quoting it show them
        db_path = _record_database(db_path, gold_path)
        stored, gone = _stored_tags(gold_path, gold, model.version, db_path)
        if gone:
            gold = [item for item in gold if item.id not in gone]
            click.echo(f"Note: {len(gone)} passage{'s' if len(gone) != 1 else ''} labelled in {gold_path} "
                       f"{'are' if len(gone) != 1 else 'is'} no longer in the database "
                       "(casereview has split those reviews' text differently since the sheet was drawn, or they "
                       f"were removed): the check is of the other {len(gold)}.", err=True)
    probabilities = model.score([item.text for item in gold])
    predicted = [set(labels) for labels in model.labels_from(probabilities)]
    if stored is not None:
        predicted = [set(stored[item.id]) for item in gold]
    report = score(gold, predicted, model.themes, model.core_themes, resamples=resamples)
    report["reliability"] = reliability(gold, probabilities, model.themes)
    if errors_path is not None:
        wrong = disagreements(gold, predicted, model.themes, probabilities)
        from pipeline.outputs.tables import writing

        with writing(errors_path, option="--errors"):
            errors_path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in wrong),
                                   encoding="utf-8")
    if as_json:
        click.echo(json.dumps({"model_version": model.version, "gold": str(gold_path), "notes": notes, **report},
                              indent=2))
    else:
        scored = (f"The tags of model {model.version} in {db_path}" if stored is not None
                  else f"Model {model.version}")
        click.echo(format_table(report, f"{scored} on {gold_path} ({len(gold)} passages)", names))
        click.echo("")
        click.echo(format_reliability(report["reliability"]))
    if errors_path is not None:
        click.echo(f"{len(wrong)} of {len(gold)} passages with a missed or wrong tag written to {errors_path}",
                   err=True)
    if record:
        check_id, where, tagged_by, earlier = _record_check(gold_path, model.version, report, db_path)
        click.echo(f"Recorded in {where} as check {check_id} ({len(gold)} passages, model {model.version}).",
                   err=True)
        if tagged_by == [model.version]:
            click.echo("Reports, exports and searches of the database's tags now say how the model did on these "
                       "passages.", err=True)
            if earlier and earlier["gold_file"] != gold_path.name and earlier["passages"] > len(gold):
                click.echo(f"Note: they quote only the latest check of a model, so this one ({len(gold)} passages) "
                           f"now stands in for the larger check on {earlier['gold_file']} ({earlier['passages']} "
                           "passages). To quote that one again, record it again: casereview evaluate --gold "
                           f"{earlier['gold_file']} --record", err=True)
        else:
            made = f"model {', '.join(tagged_by)}" if tagged_by else "no model yet (nothing is tagged)"
            click.echo(f"Note: the database's tags come from {made}, so outputs will not quote this check until "
                       f"its reviews are tagged by {model.version} (run `casereview run` with that model).",
                       err=True)


def _record_database(db_path: Path | None, gold_path: Path) -> Path:
    """The database ``--record`` keeps the check in: the one the sheet was drawn from (its provenance names it),
    unless ``--db`` names another, which is refused (its passages are another database's); else ``--db``, else
    the default one. An error when it is not there."""
    from pipeline.settings import default_db, no_database_message, the_file_itself

    drawn = _sheet_database(gold_path)
    if db_path is None and drawn is not None and drawn.exists():
        click.echo(f"Note: {gold_path} was drawn from {drawn}: the check is kept there.", err=True)
        return drawn
    path = Path(db_path) if db_path else default_db()
    if (drawn is not None and drawn.exists() and path.exists()
            and the_file_itself(path).resolve() != the_file_itself(drawn).resolve()):
        raise CaseReviewError(f"--record: {gold_path} was drawn from the database {drawn}, not {path}: give --db "
                              f"{drawn}, or draw a sheet from {path} with casereview label-sheet")
    if not path.exists():
        raise CaseReviewError(f"--record: {no_database_message(path)}")
    return path


def _sheet_database(gold_path: Path) -> Path | None:
    """The database a label sheet was drawn from, as its provenance says (the Excel file's Provenance sheet, or
    the CSV file's ``.provenance.json`` beside it); None for a file that does not say.

    >>> _sheet_database(Path("no-such-sheet.csv")) is None
    True
    """
    try:
        if gold_path.suffix.lower() == ".xlsx":
            import openpyxl

            book = openpyxl.load_workbook(gold_path, read_only=True)
            try:
                if "Provenance" not in book.sheetnames:
                    return None
                found = next((row[1] for row in book["Provenance"].iter_rows(values_only=True)
                              if len(row) > 1 and row[0] == "database"), None)
            finally:
                book.close()
        else:
            sidecar = gold_path.with_name(gold_path.name + ".provenance.json")
            found = json.loads(sidecar.read_text(encoding="utf-8")).get("database") if sidecar.is_file() else None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None
    return Path(found) if isinstance(found, str) and found else None


def _stored_tags(gold_path: Path, gold: list, model_version: str,
                 path: Path) -> tuple[dict[str, set] | None, set[str]]:
    """For ``--record``: the themes the database holds for each labelled passage (by its id), when its reviews
    were tagged by ``model_version``, so that the check recorded is of the tags the outputs quote it beside (a run
    leaves the method and the review's own process untagged, which the model alone tags), or None when they were
    tagged by another model (the model alone is then scored, and the check waits for that model's tags); and the
    ids of the labelled passages the database no longer holds (a sheet drawn before a new version of casereview
    split some reviews' text differently).

    Raises
    ------
    CaseReviewError
        When none of the file's passages is in the database: a check of other text would be quoted as how the
        tags hold on these reviews.
    """
    from pipeline.query import read_only_connection

    ids = [item.id for item in gold]
    con = read_only_connection(path)
    try:
        found = dict(con.execute(_LABELLED_PASSAGES, [ids]).fetchall())
        missing = {passage_id for passage_id in ids if passage_id not in found}
        if not found:
            raise CaseReviewError(
                f"--record keeps a check of the tags in {path}, but none of the {len(ids)} passages labelled in "
                f"{gold_path} is in it (such as {ids[0]!r}): record a sheet drawn from this database (casereview "
                "label-sheet), or leave out --record to check the model alone on the file")
        if set(found.values()) != {model_version}:
            return None, missing
        tags: dict[str, set] = {passage_id: set() for passage_id in found}
        for passage_id, theme in con.execute(_STORED_TAGS, [list(found), model_version]).fetchall():
            tags[passage_id].add(theme)
        return tags, missing
    finally:
        con.close()


_LABELLED_PASSAGES = """
SELECT p.passage_id, d.theme_model FROM passages p JOIN documents d USING (review_id)
WHERE p.passage_id IN (SELECT unnest(?))"""
_STORED_TAGS = """
SELECT passage_id, theme FROM passage_themes WHERE passage_id IN (SELECT unnest(?)) AND model_version = ?"""


def _record_check(gold_path: Path, model_version: str, report: dict,
                  path: Path) -> tuple[str, Path, list[str], dict | None]:
    """Store an evaluation in the database (see ``Store.record_check``); return the check id, the database
    file, the versions of the models whose tags the database holds, and the check of the same model that
    outputs quoted until now (None if there was none)."""
    import hashlib

    from pipeline.store import Store
    from pipeline.themes.sheet import sheet_sample

    digest = hashlib.sha256(gold_path.read_bytes()).hexdigest()
    store = Store(path)
    earlier = next((check for check in store.checks() if check["model_version"] == model_version), None)
    check_id = store.record_check(model_version, gold_path.name, digest, report, sheet_sample(gold_path))
    return check_id, path, store.theme_models(), earlier


@click.command()
@click.option("--data", "data_dir", type=UserPath(exists=True, file_okay=False, path_type=Path), default=None,
              help="Folder of training files (*.jsonl); default: models/training.")
@click.option("--out", "out_dir", type=UserPath(file_okay=False, path_type=Path), default=None,
              help="Where to write the model folder; default: models/themes-v1 (replaced).")
@click.option("--taxonomy", "taxonomy_path", type=UserPath(exists=True, dir_okay=False, path_type=Path), default=None,
              help="The themes to learn (a taxonomy.yaml); default: the taxonomy.yaml beside the --data folder "
                   "when there is one (a copy of models/ with a theme of your own), else models/taxonomy.yaml.")
@click.option("--seed", type=SEED, default=13, show_default=True,
              help="Random seed: the same data and seed give the same model.")
@click.option("--dev", "dev_path", type=UserPath(dir_okay=False, path_type=Path), default=None,
              help="Real labelled sentences used to choose between approaches (default: "
                   "../shared/eval/dev_themes.jsonl if present). Never used to set thresholds.")
@click.option("--no-dev", is_flag=True, help="Choose on cross-validation alone, without a development set.")
@click.option("--approach", "approaches", multiple=True,
              type=click.Choice(["keywords", "tfidf", "embedding", "tfidf+embedding"]),
              help="Compare only these approaches (repeat the option); default: all four.")
@click.option("--encoder", "encoder_name", default=None, metavar="NAME_OR_PATH",
              help="Sentence encoder for the embedding approaches and the pipeline's passage embeddings "
                   "(default: all-MiniLM-L6-v2-static; also all-MiniLM-L6-v2-int8, all-MiniLM-L6-v2 or a path).")
@click.option("--compare-encoder", "compare_encoders", multiple=True, metavar="NAME_OR_PATH",
              help="Also score the embedding approach with this encoder, for the model card only (repeatable; "
                   "e.g. all-MiniLM-L6-v2-int8, which adds a few minutes).")
@_user_errors
def train(data_dir: Path | None, out_dir: Path | None, taxonomy_path: Path | None, seed: int,
          dev_path: Path | None, no_dev: bool,
          approaches: tuple[str, ...], encoder_name: str | None, compare_encoders: tuple[str, ...]) -> None:
    """Train the theme classifiers on the labelled examples, compare them and save the best.

    Four approaches are compared: keyword matching on the taxonomy's seed phrases, word/character
    statistics (TF-IDF), sentence embeddings, and the average of the last two. Each is scored by 5-fold
    cross-validation, on 20% of the examples held back from training, on the passages by other writers in
    the data folder's unseen_writers/ (never trained on), and on the development set of real sentences. The
    best is saved with its settings, thresholds, scores and a model card (MODEL_CARD.md). Takes a few
    minutes. Progress goes to the screen; a summary of the scores is printed at the end (the model card has
    every approach theme by theme). The table of counts in the data folder's DATA_CARD.md, when it has one, is
    brought up to date.

    To add a theme of your own: copy models/ to a folder of your own, add the theme to its taxonomy.yaml and
    write examples about it (and examples that use its words without being about it) in a .jsonl file in its
    training/ folder, then train on that folder; tag with the new model with `casereview run --model`.

    \b
    Examples:
      casereview train --data models/training --out models/themes-v1 --seed 13
                       --compare-encoder all-MiniLM-L6-v2-int8      (how the shipped model was made)
      casereview train --data my-models/training --out my-models/themes-mine
    """
    from pipeline.themes.approaches import APPROACHES
    from pipeline.themes.card import format_summary
    from pipeline.themes.train import default_dev_path, train_models

    if not no_dev and dev_path is None and default_dev_path().is_file():
        dev_path = default_dev_path()
    out = out_dir or _default_model()
    previous = _previous_model(out)  # read now: training into its folder replaces it
    if taxonomy_path is None and data_dir is not None and (data_dir.parent / "taxonomy.yaml").is_file():
        taxonomy_path = data_dir.parent / "taxonomy.yaml"
    metrics = train_models(data_dir or models_dir() / "training", out, seed=seed, taxonomy_path=taxonomy_path,
                           dev_path=None if no_dev else dev_path, approaches=approaches or APPROACHES,
                           encoder_name=encoder_name, compare_encoders=compare_encoders,
                           log=lambda line: click.echo(line, err=True))
    click.echo(format_summary(metrics))
    chosen = metrics["approaches"][metrics["chosen"]]
    click.echo(f"\nChosen: {metrics['chosen']} (by {metrics['selection_rule']}).")
    if chosen["dev"]:
        click.echo(f"Development set macro-F1, core themes: {chosen['dev']['macro_core']['f1']:.2f}")
    click.echo(f"Model saved to {out} (see {out / 'MODEL_CARD.md'}: every approach by theme, and more).")
    if previous is not None:
        click.echo("")
        click.echo(_comparison(previous, metrics))


def _previous_model(out: Path) -> tuple[str, dict] | None:
    """(where, metrics.json) of the model a newly trained one is to be compared with: the one in ``out``, which
    training replaces, else the default model; None when neither has its scores."""
    for folder in dict.fromkeys([out, _default_model()]):
        try:
            return str(folder), json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
    return None


def _comparison(previous: tuple[str, dict], metrics: dict) -> str:
    """Each theme's threshold, and its F1 on the development set's real sentences, in the previous model and the
    new one: adding examples or a theme moves the other themes' thresholds, and so their tags.

    >>> old = {"chosen": "t", "approaches": {"t": {"thresholds": {"a": 0.41}, "dev": {"themes": {"a": {"f1": 0.72}}}}}}
    >>> new = {"chosen": "t", "approaches": {"t": {"thresholds": {"a": 0.43, "b": 0.5},
    ...                                            "dev": {"themes": {"a": {"f1": 0.7}, "b": {"f1": None}}}}}}
    >>> print(_comparison(("models/themes-v1", old), new))
    Against the model in models/themes-v1 (its tags change where a threshold or score moves):
    theme                     threshold     dev F1 (real)
    a                         0.41 -> 0.43  0.72 -> 0.70
    b                         new           -
    """
    where, old = previous
    before, after = old["approaches"][old["chosen"]], metrics["approaches"][metrics["chosen"]]

    def f1(result: dict, theme: str) -> str:
        value = ((result.get("dev") or {}).get("themes") or {}).get(theme, {}).get("f1")
        return "-" if value is None else f"{value:.2f}"

    lines = [f"Against the model in {where} (its tags change where a threshold or score moves):",
             f"{'theme':<26}{'threshold':<14}dev F1 (real)"]
    for theme, threshold in after["thresholds"].items():
        if theme not in before["thresholds"]:
            lines.append(f"{theme:<26}{'new':<14}{f1(after, theme)}")
            continue
        was, now = f1(before, theme), f1(after, theme)
        lines.append(f"{theme:<26}{before['thresholds'][theme]:.2f} -> {threshold:.2f}  "
                     + (f"{was} -> {now}" if (was, now) != ("-", "-") else "-"))
    gone = [theme for theme in before["thresholds"] if theme not in after["thresholds"]]
    if gone:
        lines.append(f"no longer tagged: {', '.join(gone)}")
    return "\n".join(lines)

