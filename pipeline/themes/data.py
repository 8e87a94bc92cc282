"""Read labelled examples: the training files (``models/training/*.jsonl``) and gold files for evaluation.

Every line is one JSON object ``{"id", "text", "labels", ...}``; gold files may add ``uncertain`` (themes
only one annotator gave, left out of that theme's score). Errors name the file and the line.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.files import SAVE_AS_UTF8, NotUtf8Error, decode_utf8
from pipeline.themes.errors import ThemeError, UnknownThemeError
from pipeline.themes.taxonomy import Taxonomy, plain_label

HELD_OUT_SHARE = 0.2
PROBES = "probes"  # sub-folder of passages about the review itself, read by the review-process detector only
UNSEEN_WRITERS = "unseen_writers"  # sub-folder of passages by writers who never saw the training data: scored only


@dataclass(frozen=True)
class Example:
    """A labelled passage: its full label set and, for gold files, the themes annotators disagreed on."""

    id: str
    text: str
    labels: frozenset[str]
    uncertain: frozenset[str] = frozenset()
    source: str = ""  # "file, line N", for messages
    file: str = ""  # the file name
    style: str = ""  # the writer's note of what kind of passage it is ("finding", "methodology", ...), if given


def is_held_out(example_id: str) -> bool:
    """Whether an example belongs to the held-out split: the first 32 bits of SHA-256 of its id, below 20%.

    The split depends only on the id, so it is the same on every machine and in any file order, and adding
    examples never moves existing ones.
    """
    bucket = int(hashlib.sha256(example_id.encode("utf-8")).hexdigest()[:8], 16) / 2**32
    return bucket < HELD_OUT_SHARE


def training_files(data_dir: Path) -> list[Path]:
    """The ``*.jsonl`` files of a training folder, sorted by name."""
    files = sorted(Path(data_dir).glob("*.jsonl"))
    if not files:
        raise ThemeError(f"{data_dir}: no training files (*.jsonl) found")
    return files


def load_training_data(data_dir: Path, taxonomy: Taxonomy) -> list[Example]:
    """Read every training file of a folder.

    Parameters
    ----------
    data_dir : Path
        Folder of ``*.jsonl`` files.
    taxonomy : Taxonomy
        Labels must be ids of its themes.

    Returns
    -------
    list of Example
        In file-name order, then line order.

    Raises
    ------
    ThemeError
        For invalid JSON, a missing or empty field, an unknown theme id or an id used twice (naming the file
        and line).

    Examples
    --------
    >>> from pipeline.themes.taxonomy import load_taxonomy
    >>> examples = load_training_data(Path("models/training"), load_taxonomy())
    >>> examples[0].id, sorted(examples[0].labels)
    ('asm-0001', ['assessment', 'legal_powers', 'parental_factors'])
    """
    examples: list[Example] = []
    first_seen: dict[str, str] = {}
    for path in training_files(data_dir):
        for example in read_examples(path, taxonomy.ids):
            if example.id in first_seen:
                raise ThemeError(f"{example.source}: id '{example.id}' is already used at {first_seen[example.id]}: "
                                 "give this example a new id")
            first_seen[example.id] = example.source
            examples.append(example)
    return examples


def load_gold(path: Path, themes: Collection[str], names: Mapping[str, str] | None = None) -> list[Example]:
    """Read a gold file for evaluation (same format, with an optional ``uncertain`` list per line), or a label
    sheet (``.xlsx`` or ``.csv``, see :mod:`pipeline.themes.sheet`).

    ``themes`` are the ids allowed in ``labels`` and ``uncertain`` (a taxonomy's or a model's). With ``names``
    (id -> display name), a label may also be a theme's name as people write it, in any case ("Voice of the
    child", "information sharing"): a gold file labelled by hand in a spreadsheet often is.
    """
    return read_gold(path, themes, names)[0]


# The longest text scored at once (the sentence splitter's limit): a passage is a paragraph or a few, and a text
# this long is a whole document or several pasted together.
MAX_TEXT_CHARS = 1_000_000


def too_long(text: str) -> str | None:
    """What to say of a text too long to score, or None.

    >>> too_long("x" * 1_000_001)[:60], too_long("x" * 1_000_000)
    ('the text is 1,000,001 characters long; at most 1,000,000 are', None)
    """
    if len(text) <= MAX_TEXT_CHARS:
        return None
    return (f"the text is {len(text):,} characters long; at most {MAX_TEXT_CHARS:,} are scored at once: split it "
            "into passages (a paragraph or a few each)")


# A gold file that is not a label sheet is read as JSON lines when its name says it could be one.
JSON_LINES_SUFFIXES = ("", ".jsonl", ".json", ".ndjson", ".txt")


def read_gold(path: Path, themes: Collection[str],
              names: Mapping[str, str] | None = None) -> tuple[list[Example], list[str]]:
    """``load_gold``, with what a person should know about the scores (a label sheet's rows not labelled
    yet, its themes with no column); no notes for a JSON-lines file."""
    from pipeline.themes.sheet import is_sheet, read_sheet

    path = Path(path)
    if not path.is_file():
        raise ThemeError(f"{path}: gold file not found")
    if is_sheet(path):
        sheet = read_sheet(path, themes, names)
        if not sheet.examples:
            raise ThemeError(f"{path}: no row is labelled yet: in each row, put x under every theme the passage "
                             "is about (? when unsure), or x under \"No theme\"")
        _refuse_repeated_ids(path, sheet.examples)
        return sheet.examples, sheet.notes(names)
    if path.suffix.lower() not in JSON_LINES_SUFFIXES:
        raise ThemeError(f"{path} is not a label sheet or a JSON-lines file: give an Excel (.xlsx) or CSV label "
                         "sheet (`casereview label-sheet` makes one) or a JSON-lines file (.jsonl)")
    examples = read_examples(path, themes, names)
    if not examples:
        raise ThemeError(f"{path}: the gold file has no examples")
    _refuse_repeated_ids(path, examples)
    return examples, []


def _refuse_repeated_ids(path: Path, examples: Sequence[Example]) -> None:
    """A passage labelled twice in a gold file would be counted twice, with whichever labels each time: name
    where (its scores would otherwise rest on it twice, unsaid)."""
    def where(example: Example) -> str:  # "line 3" or "row 4" (the source names the file too)
        return example.source.rsplit(", ", 1)[-1] if example.source else "?"

    first: dict[str, Example] = {}
    for example in examples:
        if example.id in first:
            raise ThemeError(f"{path}: the id '{example.id}' is given twice ({where(first[example.id])} and "
                             f"{where(example)}): label each passage once, and check again")
        first[example.id] = example


def read_examples(path: Path, themes: Collection[str], names: Mapping[str, str] | None = None) -> list[Example]:
    """Parse one JSON-lines file of labelled examples (blank lines are skipped; labels must be in ``themes``,
    or be one of their ``names`` (id -> display name) when given, in any case and spacing)."""
    known = set(themes)
    aliases = {plain_label(name): theme for theme, name in (names or {}).items() if theme in known}
    aliases.update({plain_label(theme): theme for theme in known} if names else {})
    examples = []
    try:
        lines = decode_utf8(Path(path).read_bytes()).split("\n")  # not splitlines: JSON may hold U+2028
    except NotUtf8Error as exc:
        raise ThemeError(f"{path}, line {exc.line}: not UTF-8 text: {SAVE_AS_UTF8}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}, line {number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ThemeError(f"{where}: not valid JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise ThemeError(f"{where}: expected a JSON object with id, text and labels")
        example_id, text = record.get("id"), record.get("text")
        if not isinstance(example_id, (str, int)) or isinstance(example_id, bool) or str(example_id) == "":
            raise ThemeError(f"{where}: field 'id' is missing or empty")
        if not isinstance(text, str) or not text.strip():
            raise ThemeError(f"{where}: field 'text' is missing or empty")
        if too_long(text):
            raise ThemeError(f"{where}: {too_long(text)}")
        labels = _theme_list(record, "labels", where, known, required=True, aliases=aliases)
        uncertain = _theme_list(record, "uncertain", where, known, required=False, aliases=aliases)
        if labels & uncertain:
            raise ThemeError(f"{where}: {', '.join(sorted(labels & uncertain))} is in both 'labels' and 'uncertain': "
                             "keep it in 'labels' if the text is about it, in 'uncertain' if you are unsure")
        style = record.get("style")
        examples.append(Example(id=str(example_id), text=text, labels=labels, uncertain=uncertain,
                                source=where, file=path.name, style=style if isinstance(style, str) else ""))
    return examples


def _theme_list(record: dict, field: str, where: str, known: set[str], required: bool,
                aliases: Mapping[str, str] | None = None) -> frozenset[str]:
    value = record.get(field)
    if value is None and not required:
        return frozenset()
    if isinstance(value, str):
        raise ThemeError(f"{where}: field '{field}' is one text, {json.dumps(value, ensure_ascii=False)}, not a list: "
                         f"write it in square brackets, [{json.dumps(value, ensure_ascii=False)}]")
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ThemeError(f"{where}: field '{field}' is missing or not a list of theme ids")
    if aliases:
        value = [item if item in known else aliases.get(plain_label(item), item) for item in value]
    unknown = sorted(set(value) - known)
    if unknown:
        raise UnknownThemeError(f"{where}: unknown theme id(s) in '{field}': {', '.join(unknown)} "
                         f"(known: {', '.join(sorted(known))})")
    return frozenset(value)


def probe_files(data_dir: Path) -> list[Path]:
    """The ``probes/*.jsonl`` files of a training folder (passages about the review itself, see
    :mod:`pipeline.themes.process`), sorted by name; empty when there are none."""
    return sorted((Path(data_dir) / PROBES).glob("*.jsonl"))


def unseen_writer_files(data_dir: Path) -> list[Path]:
    """The ``unseen_writers/*.jsonl`` files of a training folder, sorted by name; empty when there are none.

    Passages written, in the same format, by writers who had not read the training files: never trained on,
    only scored, to show how the model does on another writer's idea of the same themes.
    """
    return sorted((Path(data_dir) / UNSEEN_WRITERS).glob("*.jsonl"))


def data_checksum(data_dir: Path) -> str:
    """SHA-256 over the names and contents of the training, probe and unseen-writer files (recorded in the model's
    config)."""
    digest = hashlib.sha256()
    for path in training_files(data_dir) + probe_files(data_dir) + unseen_writer_files(data_dir):
        digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
