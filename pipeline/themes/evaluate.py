"""Precision, recall and F1 per theme, with micro and macro averages, as a table and as a dict.

Conventions:

- An item is left out of a theme's score where that theme is in its ``uncertain`` list (annotators
  disagreed); it still counts for the other themes.
- support = gold positives. Precision is undefined when the model tagged nothing for the theme; recall and
  F1 are undefined when the theme has no gold positives (F1 is then not averaged, but wrong tags still show
  as false positives and count in the micro average). A theme with gold positives but no correct tags
  has F1 0.
- macro = the unweighted mean over themes whose F1 is defined (an undefined precision counts as 0 there);
  ``macro_core`` the same over core themes.
  micro pools the counts of all themes.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.themes.data import Example


def evaluate(gold: Sequence[Example], predicted: Sequence[set[str] | frozenset[str]], themes: Sequence[str],
             core: Sequence[str] = ()) -> dict:
    """Score predicted label sets against gold examples.

    Parameters
    ----------
    gold : sequence of Example
        Gold items with ``labels`` and ``uncertain``.
    predicted : sequence of sets of theme ids
        One set per gold item, in the same order.
    themes : sequence of str
        Themes to score, in the order of the table.
    core : sequence of str
        The core themes (their own macro average).

    Returns
    -------
    dict
        ``{"items", "themes": {id: {precision, recall, f1, support, tagged, tp, fp, fn, left_out}},
        "micro": {...}, "macro": {..., "themes": [...]}, "macro_core": {...}}``; undefined values are None.

    Examples
    --------
    >>> gold = [Example("1", "...", frozenset({"assessment"})), Example("2", "...", frozenset())]
    >>> evaluate(gold, [{"assessment"}, {"assessment"}], ["assessment"])["themes"]["assessment"]["precision"]
    0.5
    """
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold items but {len(predicted)} predictions")
    per_theme = {}
    for theme in themes:
        tp = fp = fn = left_out = 0
        for item, tags in zip(gold, predicted, strict=True):
            if theme in item.uncertain:
                left_out += 1
                continue
            in_gold, in_tags = theme in item.labels, theme in tags
            tp += in_gold and in_tags
            fp += in_tags and not in_gold
            fn += in_gold and not in_tags
        per_theme[theme] = {**_scores(tp, fp, fn), "left_out": left_out}
    totals = [sum(per_theme[t][k] for t in themes) for k in ("tp", "fp", "fn")]
    return {
        "items": len(gold),
        "themes": per_theme,
        "micro": _scores(*totals),
        "macro": _macro(per_theme, list(themes)),
        "macro_core": _macro(per_theme, [t for t in themes if t in set(core)]),
    }


def _scores(tp: int, fp: int, fn: int) -> dict:
    support, tagged = tp + fn, tp + fp
    precision = tp / tagged if tagged else None
    recall = tp / support if support else None
    if not support:
        f1 = None
    elif not tp:
        f1 = 0.0
    else:
        f1 = 2 * precision * recall / (precision + recall)
    return {"precision": precision, "recall": recall, "f1": f1, "support": support, "tagged": tagged,
            "tp": tp, "fp": fp, "fn": fn}


def _macro(per_theme: dict, themes: list[str]) -> dict:
    scored = [t for t in themes if per_theme[t]["f1"] is not None]
    result = {"themes": scored, "of": len(themes)}
    for key in ("precision", "recall", "f1"):
        values = [per_theme[t][key] if per_theme[t][key] is not None else 0.0 for t in scored]
        result[key] = sum(values) / len(values) if values else None
    return result


def format_table(report: dict, title: str = "") -> str:
    """The report as a plain-text table for people (undefined values shown as '-')."""
    lines = [title] if title else []
    lines.append(f"{'theme':<24}{'precision':>10}{'recall':>8}{'F1':>7}{'support':>9}{'tagged':>8}"
                 f"{'left out':>10}")
    for theme, row in report["themes"].items():
        lines.append(f"{theme:<24}{_fmt(row['precision']):>10}{_fmt(row['recall']):>8}{_fmt(row['f1']):>7}"
                     f"{row['support']:>9}{row['tagged']:>8}{row['left_out']:>10}")
    micro, macro, core = report["micro"], report["macro"], report["macro_core"]
    lines.append(f"{'micro average':<24}{_fmt(micro['precision']):>10}{_fmt(micro['recall']):>8}"
                 f"{_fmt(micro['f1']):>7}{micro['support']:>9}{micro['tagged']:>8}")
    for label, row in ((f"macro ({len(macro['themes'])} of {macro['of']})", macro),
                       (f"macro core ({len(core['themes'])} of {core['of']})", core)):
        if row["of"]:
            lines.append(f"{label:<24}{_fmt(row['precision']):>10}{_fmt(row['recall']):>8}{_fmt(row['f1']):>7}")
    lines.append(f"{report['items']} items. '-' = undefined (nothing tagged, or no gold examples of the theme); "
                 "macro averages use the themes with gold examples.")
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
