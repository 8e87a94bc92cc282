"""Load and check the learning-theme taxonomy (``models/taxonomy.yaml``).

The taxonomy is the single source of the theme ids, names and definitions; every other file refers to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from pipeline.files import SAVE_AS_UTF8, NotUtf8Error, decode_utf8
from pipeline.settings import models_dir
from pipeline.themes.errors import ThemeError

THEME_ID = re.compile(r"^[a-z][a-z0-9_]*$")
TEXT_FIELDS = ("name", "definition")
LIST_FIELDS = ("includes", "excludes", "seed_phrases")


@dataclass(frozen=True)
class Theme:
    """One learning theme, as defined in the taxonomy file."""

    id: str
    name: str
    core: bool
    definition: str
    includes: tuple[str, ...]
    excludes: tuple[str, ...]
    seed_phrases: tuple[str, ...]


@dataclass(frozen=True)
class Taxonomy:
    """The themes of one taxonomy version, in file order."""

    version: str
    themes: tuple[Theme, ...]
    path: Path

    @property
    def ids(self) -> list[str]:
        """Theme ids in file order (the column order of every probability matrix)."""
        return [theme.id for theme in self.themes]

    @property
    def core_ids(self) -> list[str]:
        """Ids of the core themes (scored separately in evaluation)."""
        return [theme.id for theme in self.themes if theme.core]

    def theme(self, theme_id: str) -> Theme:
        """The theme with this id; ``ThemeError`` if there is none."""
        for theme in self.themes:
            if theme.id == theme_id:
                return theme
        raise ThemeError(f"{self.path}: no theme with id '{theme_id}' (themes: {', '.join(self.ids)})")



def plain_label(label: str) -> str:
    """A theme id or name as compared with what people type: lower case, words joined by "_".

    >>> plain_label(" Voice of the child"), plain_label("multi-agency working"), plain_label("legal_powers")
    ('voice_of_the_child', 'multi_agency_working', 'legal_powers')
    """
    return "_".join(label.strip().lower().replace("-", " ").replace("_", " ").split())

def default_taxonomy_path() -> Path:
    """``models/taxonomy.yaml`` (or under ``$CASEREVIEW_MODELS``)."""
    return models_dir() / "taxonomy.yaml"


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """Read and validate a taxonomy file.

    Parameters
    ----------
    path : Path, optional
        The YAML file; ``models/taxonomy.yaml`` by default.

    Returns
    -------
    Taxonomy

    Raises
    ------
    ThemeError
        If the file is missing or not valid YAML, or a theme lacks a field, has a field of the wrong kind or
        repeats an id. The message names the file, the theme and the field.

    Examples
    --------
    >>> taxonomy = load_taxonomy()
    >>> taxonomy.core_ids
    ['assessment', 'voice_of_child', 'information_sharing', 'legal_powers']
    """
    path = Path(path) if path else default_taxonomy_path()
    if not path.is_file():
        raise ThemeError(f"{path}: taxonomy file not found")
    try:
        document = yaml.safe_load(decode_utf8(path.read_bytes()))
    except NotUtf8Error as exc:
        raise ThemeError(f"{path}, line {exc.line}: not UTF-8 text: {SAVE_AS_UTF8}") from None
    except yaml.YAMLError as exc:
        raise ThemeError(f"{path}: {_yaml_problem(exc)}") from None
    if not isinstance(document, dict):
        raise ThemeError(f"{path}: expected a mapping with 'version' and 'themes' at the top level")
    version = document.get("version")
    if version is None or isinstance(version, bool) or not isinstance(version, (int, str)) or str(version) == "":
        raise ThemeError(f"{path}: 'version' is missing or empty: give a number such as 'version: 1'")
    unknown = sorted(str(key) for key in document if key not in ("version", "themes"))
    if unknown:
        raise ThemeError(f"{path}: unknown top-level key{'s' if len(unknown) > 1 else ''} "
                         f"{', '.join(repr(key) for key in unknown)}: the file has 'version' and 'themes'")
    entries = document.get("themes")
    if not isinstance(entries, list) or not entries:
        raise ThemeError(f"{path}: 'themes' is missing or empty: it must be a list of themes")
    themes = [_parse_theme(entry, index, path) for index, entry in enumerate(entries, start=1)]
    seen: set[str] = set()
    for theme in themes:
        if theme.id in seen:
            raise ThemeError(f"{path}: theme id '{theme.id}' is used more than once: ids must be unique")
        seen.add(theme.id)
    return Taxonomy(version=str(version), themes=tuple(themes), path=path)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """Where a YAML file goes wrong and why, for people: the line and column of the problem (not the parser's
    context), in words, with what to do about a tab.

    >>> try:
    ...     yaml.safe_load("themes:\\n  - id: a\\n\\tname: A\\n")
    ... except yaml.YAMLError as exc:
    ...     print(_yaml_problem(exc).replace("; ", ";\\n"))
    line 3, column 1: not valid YAML (found character '\\t' that cannot start any token): a tab is there;
    YAML indents with spaces only, so replace it with spaces
    """
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    hint = ": a tab is there; YAML indents with spaces only, so replace it with spaces" if "'\\t'" in problem else (
        ": check the indentation and the quotes on that line and the one before it (a text holding a colon "
        "needs quotes)")
    return f"{where}not valid YAML ({problem}){hint}"


def _parse_theme(entry: object, index: int, path: Path) -> Theme:
    if not isinstance(entry, dict):
        raise ThemeError(f"{path}: theme number {index} is not a mapping of fields (id, name, core, ...)")
    theme_id = entry.get("id")
    if not isinstance(theme_id, str) or not THEME_ID.match(theme_id):
        raise ThemeError(f"{path}: theme number {index}: field 'id' is missing or invalid "
                         f"(got {theme_id!r}; use lowercase snake_case such as 'voice_of_child')")
    where = f"{path}: theme '{theme_id}'"
    known = {"id", "core", *TEXT_FIELDS, *LIST_FIELDS}
    unknown = sorted(str(key) for key in entry if key not in known)
    if unknown:  # a misspelt field ("synonyms", "seed") would be left out unsaid
        raise ThemeError(f"{where}: unknown field{'s' if len(unknown) > 1 else ''} "
                         f"{', '.join(repr(key) for key in unknown)}: a theme has the fields "
                         f"{', '.join(sorted(known))}")
    for name in TEXT_FIELDS:
        value = entry.get(name)
        if not isinstance(value, str) or not value.strip():
            raise ThemeError(f"{where}: field '{name}' is missing or empty (it must be text)")
    if not isinstance(entry.get("core"), bool):
        raise ThemeError(f"{where}: field 'core' is missing or not true/false")
    lists = {}
    for name in LIST_FIELDS:
        value = entry.get(name)
        if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
            raise ThemeError(f"{where}: field '{name}' is missing or not a list of text items")
        if name != "excludes" and not value:
            raise ThemeError(f"{where}: field '{name}' is empty: give at least one item")
        lists[name] = tuple(item.strip() for item in value)
    return Theme(id=theme_id, name=entry["name"].strip(), core=entry["core"],
                 definition=" ".join(entry["definition"].split()), **lists)
