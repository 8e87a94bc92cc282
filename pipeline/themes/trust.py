"""How far a theme model's high probabilities held on real text, in one sentence for the people reading its tags.

``casereview train`` stores, for the development set of real sentences, how often each band of probability
came true (:func:`pipeline.themes.evaluate.reliability`). Exports and reports print the tags' probabilities;
this sentence goes beside them, so that "99%" is not read as certainty.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from pipeline.settings import models_dir

HIGH, FAIRLY_HIGH = 0.9, 0.7


def real_text_note(version: str, models: Path | None = None) -> str | None:
    """How often scores of 90% or more, and of 70-90%, were right on real sentences, for model ``version``.

    ``version`` is a tag's ``model_version`` (``<folder name>@<hash>``). The figures come from the model folder
    of that name under ``models`` (default: the project's ``models/``), only when its weights are the ones
    that made the tags (same hash) and it was trained with a development set. None otherwise.

    Examples
    --------
    >>> from pipeline.themes.model import ThemeModel
    >>> print(real_text_note(ThemeModel.load(models_dir() / "themes-v1").version))  # doctest: +NORMALIZE_WHITESPACE
    On real sentences labelled by two people (research and policy writing), a theme scored 90% or more was right
    81% of the time (69 scores), one scored 70-90% 67% of the time (54); on sentences from published case
    reviews, one scored 90%-99% was right 73% of the time (33): read a high probability as likely, not certain
    (see the theme model's card).
    >>> real_text_note("themes-v1@0000000000") is None  # other weights: their figures are not known here
    True
    """
    dev = _dev_metrics(version, models) or {}
    bands = dev.get("reliability") or []
    high = _pooled([b for b in bands if b["low"] >= HIGH])
    fairly_high = _pooled([b for b in bands if FAIRLY_HIGH <= b["low"] < HIGH])
    if high is None:
        return None
    note = (f"On real sentences labelled by two people (research and policy writing), a theme scored 90% or more "
            f"was right {round(100 * high[0])}% of the time ({high[1]} scores)")
    if fairly_high is not None:
        note += f", one scored 70-90% {round(100 * fairly_high[0])}% of the time ({fairly_high[1]})"
    checked = (_case_review_check(version, models) or {}).get("high_scores") or {}
    if checked.get("scores"):
        band = (f"{checked['low']:.0%}-{checked['high']:.0%}" if checked.get("high") else
                f"{checked['low']:.0%} or more")
        note += (f"; on sentences from published case reviews, one scored {band} was right "
                 f"{checked['labelled_share']:.0%} of the time ({checked['scores']})")
    return note + ": read a high probability as likely, not certain (see the theme model's card)."


CHECKED_SENTENCES = 10  # fewer real labelled sentences than this say too little about a theme


def theme_check_note(version: str, theme: str, name: str | None = None, models: Path | None = None) -> str | None:
    """How the theme model ``version`` did on real sentences labelled with ``theme``, in one sentence, or that
    there were too few such sentences to know; None when the model's figures are not known here.

    Examples
    --------
    >>> from pipeline.themes.model import ThemeModel
    >>> version = ThemeModel.load(models_dir() / "themes-v1").version
    >>> print(theme_check_note(version, "assessment", "Assessment"))  # doctest: +NORMALIZE_WHITESPACE
    Assessment, on 60 real sentences labelled with it by two people (research and policy writing): the model found
    65% of them, and 81% of the sentences it tagged with it were labelled so. On 62 sentences from published case
    reviews it found 32% of them, and 49% of its tags were labelled so.
    >>> print(theme_check_note(version, "information_sharing", "Information sharing"))  # doctest: +NORMALIZE_WHITESPACE
    Information sharing has no real sentences of research and policy writing labelled with it to check the model
    against. On 21 sentences from published case reviews the model found 29% of them, and 75% of its tags were
    labelled so.
    >>> print(theme_check_note(version, "legal_powers", "Legal powers"))  # doctest: +NORMALIZE_WHITESPACE
    Legal powers, on 27 real sentences labelled with it by two people (research and policy writing): the model
    found 81% of them, and 73% of the sentences it tagged with it were labelled so. Sentences from published case
    reviews held too few labelled with it (2) to check it there.
    """
    themes = (_dev_metrics(version, models) or {}).get("themes")
    if themes is None or theme not in themes:
        return None
    figures = themes[theme]
    support, shown = figures.get("support") or 0, name or theme
    checked = ((_case_review_check(version, models) or {}).get("themes") or {}).get(theme)
    if support < CHECKED_SENTENCES:
        few = "no" if support == 0 else f"only {support}"
        sentences = "sentence" if support == 1 else "sentences"
        if checked and checked["support"] >= CHECKED_SENTENCES:
            return (f"{shown} has {few} real {sentences} of research and policy writing labelled with it to check the "
                    f"model against. On {checked['support']} sentences from published case reviews the model found "
                    f"{checked['recall']:.0%} of them, and {checked['precision']:.0%} of its tags were labelled so.")
        return (f"{shown} has {few} real {sentences} labelled with it to check the model against: how well its tags "
                "hold on real text is not known.")
    note = (f"{shown}, on {support} real sentences labelled with it by two people (research and policy writing): the "
            f"model found {figures['recall']:.0%} of them, and {figures['precision']:.0%} of the sentences it tagged "
            "with it were labelled so.")
    if checked and checked["support"] >= CHECKED_SENTENCES:  # side by side: both samples are small
        note += (f" On {checked['support']} sentences from published case reviews it found "
                 f"{checked['recall']:.0%} of them, and {checked['precision']:.0%} of its tags were labelled so.")
    elif checked:
        note += (" Sentences from published case reviews held too few labelled with it "
                 f"({checked['support']}) to check it there.")
    return note


def note_for_tags(versions) -> str | None:
    """:func:`real_text_note` for tags made by the model ``versions`` (e.g. those in a database or a list of
    search hits): only when they all come from one model whose figures are known, since a note on one model
    would say nothing of another's tags.

    >>> note_for_tags(["themes-v1@0000000000"]) is None and note_for_tags([]) is None
    True
    """
    versions = set(versions)
    return real_text_note(versions.pop()) if len(versions) == 1 else None


CASE_REVIEW_CHECK = "case_review_check.json"  # a one-off check on case-review sentences, in the model folder


@functools.cache
def _case_review_check(version: str, models: Path | None = None) -> dict | None:
    """The figures of the one-off check on sentences from published case reviews that the model folder records
    (``CASE_REVIEW_CHECK``) for the model ``version``, when they were measured with the weights that made it
    (same hash); None otherwise (a model trained since has no such check). Callers must not change the dict."""
    name, _, digest = version.partition("@")
    return case_review_check_in((models or models_dir()) / name, digest)


def case_review_check_in(folder: Path, weights_sha256: str) -> dict | None:
    """The case-review check recorded in the model ``folder`` (``CASE_REVIEW_CHECK``) when it was measured with
    the weights whose hash starts with ``weights_sha256``; None otherwise."""
    try:
        check = json.loads((folder / CASE_REVIEW_CHECK).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not weights_sha256 or not str(check.get("weights_sha256", "")).startswith(weights_sha256):
        return None
    return check


@functools.cache
def _dev_metrics(version: str, models: Path | None = None) -> dict | None:
    """The development-set figures stored with the chosen approach of the model ``version``, when the model
    folder of that name holds the weights that made it (same hash); None otherwise. Read once per model and
    folder (a report asks for every theme): callers must not change the dict."""
    name, _, digest = version.partition("@")
    folder = (models or models_dir()) / name
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not digest or not str(config.get("weights_sha256", "")).startswith(digest):
        return None
    return (metrics.get("approaches", {}).get(metrics.get("chosen"), {}) or {}).get("dev")


def _pooled(bands: list[dict]) -> tuple[float, int] | None:
    """The share labelled over several bands together, and their number of scores (None when they hold none).

    >>> _pooled([{"scores": 3, "labelled_share": 1.0}, {"scores": 0, "labelled_share": None},
    ...          {"scores": 1, "labelled_share": 0.0}])
    (0.75, 4)
    >>> _pooled([{"scores": 0, "labelled_share": None}]) is None
    True
    """
    filled = [band for band in bands if band["scores"]]
    count = sum(band["scores"] for band in filled)
    if not count:
        return None
    return sum(band["labelled_share"] * band["scores"] for band in filled) / count, count
