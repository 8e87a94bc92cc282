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
- With ``resamples`` > 0, each F1 (per theme, macro and core macro) also gets a 95% interval
  (``f1_interval``): the 2.5th and 97.5th percentiles of that F1 over bootstrap resamples of the items
  (drawn with replacement, seeded, so the same input gives the same interval). It says how far the score
  could move on another sample of the same kind of text: with 14 examples of a theme, a lot. A resample
  holding no gold example of a theme has no F1 for it and is left out of that theme's interval (and of
  the macro intervals that include the theme).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from pipeline.themes.data import Example

RESAMPLES = 1000
INTERVAL_SEED = 0
_CELLS_PER_CHUNK = 2_000_000  # resample weights held in memory at once (resamples x items)


def evaluate(gold: Sequence[Example], predicted: Sequence[set[str] | frozenset[str]], themes: Sequence[str],
             core: Sequence[str] = (), resamples: int = 0) -> dict:
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
    resamples : int
        Bootstrap resamples for the 95% intervals of F1 (0: no intervals).

    Returns
    -------
    dict
        ``{"items", "themes": {id: {precision, recall, f1, support, tagged, tp, fp, fn, left_out}},
        "micro": {...}, "macro": {..., "themes": [...]}, "macro_core": {...}}``; undefined values are None.
        With ``resamples``, each theme, ``macro`` and ``macro_core`` also has ``f1_interval``: ``[low, high]``,
        or None where its F1 is undefined; the report has ``resamples``.

    Examples
    --------
    >>> gold = [Example("1", "...", frozenset({"assessment"})), Example("2", "...", frozenset())]
    >>> evaluate(gold, [{"assessment"}, {"assessment"}], ["assessment"])["themes"]["assessment"]["precision"]
    0.5
    """
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold items but {len(predicted)} predictions")
    tp, fp, fn, left_out = (m.sum(axis=0).tolist() for m in _outcomes(gold, predicted, themes))
    per_theme = {theme: {**_scores(tp[j], fp[j], fn[j]), "left_out": left_out[j]} for j, theme in enumerate(themes)}
    totals = [sum(per_theme[t][k] for t in themes) for k in ("tp", "fp", "fn")]
    report = {
        "items": len(gold),
        "themes": per_theme,
        "micro": _scores(*totals),
        "macro": _macro(per_theme, list(themes)),
        "macro_core": _macro(per_theme, [t for t in themes if t in set(core)]),
    }
    if resamples > 0:
        _add_intervals(report, gold, predicted, list(themes), resamples)
    return report


def bootstrap_f1(gold: Sequence[Example], predicted: Sequence[set[str] | frozenset[str]], themes: Sequence[str],
                 resamples: int = RESAMPLES, seed: int = INTERVAL_SEED) -> np.ndarray:
    """F1 of each theme on ``resamples`` bootstrap resamples of the items: an array (resamples, themes).

    Each resample draws as many items as there are, with replacement. F1 is NaN where a resample holds no
    gold example of the theme (undefined, as in :func:`evaluate`); items whose ``uncertain`` list holds a
    theme are left out of that theme, as in :func:`evaluate`.

    Examples
    --------
    >>> gold = [Example("1", "...", frozenset({"assessment"})), Example("2", "...", frozenset())]
    >>> bootstrap_f1(gold, [{"assessment"}, set()], ["assessment"], resamples=3).ravel().tolist()
    [1.0, 1.0, nan]

    (The third resample drew item 2 twice: it holds no assessment example, so has no F1 for it.)
    """
    n = len(gold)
    tp_items, fp_items, fn_items = (m.astype(np.float64) for m in _outcomes(gold, predicted, themes)[:3])
    rng = np.random.default_rng(seed)
    f1 = np.full((resamples, len(themes)), np.nan)
    if not n:
        return f1
    chunk = max(1, _CELLS_PER_CHUNK // n)
    for start in range(0, resamples, chunk):
        size = min(chunk, resamples - start)
        weights = rng.multinomial(n, np.full(n, 1.0 / n), size=size).astype(np.float64)
        tp, fp, fn = weights @ tp_items, weights @ fp_items, weights @ fn_items
        with np.errstate(invalid="ignore", divide="ignore"):
            f1[start:start + size] = np.where(tp + fn > 0, 2 * tp / (2 * tp + fp + fn), np.nan)
    return f1


def disagreements(gold: Sequence[Example], predicted: Sequence[set[str] | frozenset[str]], themes: Sequence[str],
                  scores: np.ndarray | None = None) -> list[dict]:
    """The items where the model and the gold labels disagree on a theme that is not ``uncertain`` for them.

    One dict per such item, in gold order: ``{"id", "text", "labels", "predicted", "missed", "wrongly_tagged"}``
    (``missed``: gold themes the model did not tag; ``wrongly_tagged``: tagged themes not in gold), plus
    ``"scores"`` (theme -> probability) when ``scores`` (one row per item, one column per theme) is given.

    Examples
    --------
    >>> gold = [Example("1", "a", frozenset({"assessment"})), Example("2", "b", frozenset())]
    >>> [(d["id"], d["missed"], d["wrongly_tagged"]) for d in disagreements(gold, [set(), set()], ["assessment"])]
    [('1', ['assessment'], [])]
    """
    _, fp, fn, _ = _outcomes(gold, predicted, themes)
    rows = []
    for k, (item, tags) in enumerate(zip(gold, predicted, strict=True)):
        missed = [t for j, t in enumerate(themes) if fn[k, j]]
        wrong = [t for j, t in enumerate(themes) if fp[k, j]]
        if not missed and not wrong:
            continue
        row = {"id": item.id, "text": item.text, "labels": [t for t in themes if t in item.labels],
               "predicted": [t for t in themes if t in tags], "missed": missed, "wrongly_tagged": wrong}
        if scores is not None:
            row["scores"] = {t: round(float(p), 4) for t, p in zip(themes, scores[k], strict=True)}
        rows.append(row)
    return rows


def _outcomes(gold: Sequence[Example], predicted: Sequence[set[str] | frozenset[str]], themes: Sequence[str]
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Boolean matrices (items, themes): true positive, false positive, false negative, left out (uncertain).

    The one place that decides how an item counts for a theme; a left-out item counts as none of the others.
    """
    shape = (len(gold), len(themes))
    truth = np.array([[t in item.labels for t in themes] for item in gold], dtype=bool).reshape(shape)
    tags = np.array([[t in p for t in themes] for p in predicted], dtype=bool).reshape(shape)
    left_out = np.array([[t in item.uncertain for t in themes] for item in gold], dtype=bool).reshape(shape)
    scored = ~left_out
    return truth & tags & scored, tags & ~truth & scored, truth & ~tags & scored, left_out


# Below this many labelled examples a theme's F1 gets no interval: resamples of one or two examples give a
# range such as 0.00-0.00 that reads as certainty when it means nothing can be said.
FEW_FOR_INTERVAL = 5


def _too_few(report: dict, themes: list[str]) -> bool:
    """Whether every one of these themes has fewer than FEW_FOR_INTERVAL labelled examples (so an average over
    them is no better pinned down than they are)."""
    return all(report["themes"][t]["support"] < FEW_FOR_INTERVAL for t in themes)


def _add_intervals(report: dict, gold, predicted, themes: list[str], resamples: int) -> None:
    f1 = bootstrap_f1(gold, predicted, themes, resamples)
    report["resamples"] = resamples
    for j, theme in enumerate(themes):
        row = report["themes"][theme]
        judged = row["f1"] is not None and row["support"] >= FEW_FOR_INTERVAL
        row["f1_interval"] = _percentiles(f1[:, j]) if judged else None
    for key in ("macro", "macro_core"):
        columns = [themes.index(t) for t in report[key]["themes"]]
        if not columns or _too_few(report, report[key]["themes"]):
            report[key]["f1_interval"] = None
            continue
        # the mean over resamples that hold every one of these themes, as the macro itself does
        report[key]["f1_interval"] = _percentiles(f1[:, columns].mean(axis=1))


def _percentiles(values: np.ndarray) -> list[float] | None:
    values = values[~np.isnan(values)]
    if not len(values):
        return None
    low, high = np.percentile(values, [2.5, 97.5])
    return [round(float(low), 4), round(float(high), 4)]


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


def format_table(report: dict, title: str = "", names: Mapping[str, str] | None = None) -> str:
    """The report as a plain-text table for people (undefined values shown as '-'), each theme by its name in
    ``names`` (id -> display name) when given.

    With intervals (``evaluate(..., resamples=N)``), a column gives each F1's 95% interval.
    """
    intervals = "resamples" in report
    lines = [title] if title else []
    lines.append(f"{'theme':<24}{'precision':>10}{'recall':>8}{'F1':>7}"
                 + (f"{'95% interval':>14}" if intervals else "") + f"{'support':>9}{'tagged':>8}{'left out':>10}")
    few = False
    for theme, row in report["themes"].items():
        span = format_interval(row.get("f1_interval"))
        if row["f1"] is not None and row["support"] < FEW_FOR_INTERVAL:
            span, few = "too few", True
        shown = (names or {}).get(theme, theme)
        lines.append(f"{shown:<24}{_fmt(row['precision']):>10}{_fmt(row['recall']):>8}{_fmt(row['f1']):>7}"
                     + (f"{span:>14}" if intervals else "")
                     + f"{row['support']:>9}{row['tagged']:>8}{row['left_out']:>10}")
    micro, macro, core = report["micro"], report["macro"], report["macro_core"]
    lines.append(f"{'micro average':<24}{_fmt(micro['precision']):>10}{_fmt(micro['recall']):>8}"
                 f"{_fmt(micro['f1']):>7}" + (" " * 14 if intervals else "")
                 + f"{micro['support']:>9}{micro['tagged']:>8}")
    for label, row in ((f"macro ({len(macro['themes'])} of {macro['of']})", macro),
                       (f"macro core ({len(core['themes'])} of {core['of']})", core)):
        if row["of"]:
            span = format_interval(row.get("f1_interval"))
            if row["f1"] is not None and _too_few(report, row["themes"]):
                span, few = "too few", True
            lines.append(f"{label:<24}{_fmt(row['precision']):>10}{_fmt(row['recall']):>8}{_fmt(row['f1']):>7}"
                         + (f"{span:>14}" if intervals else ""))
    lines.append(f"{report['items']} items. '-' = undefined (nothing tagged, or no gold examples of the theme); "
                 "macro averages use the themes with gold examples, an undefined precision counting as 0.")
    if intervals:
        lines.append(f"95% interval: where F1 falls in 95% of {report['resamples']} resamples of these items "
                     "(bootstrap); a wide one means too few labelled examples to pin the score down."
                     + (f" 'too few': fewer than {FEW_FOR_INTERVAL} labelled examples of the theme, so its F1 says "
                        "next to nothing and no range is given (an average is 'too few' only when each of its themes "
                        "is; it counts a theme with too few as much as the others)." if few else ""))
    return "\n".join(lines)


RELIABILITY_EDGES = (0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 1.0)


def reliability(gold: Sequence[Example], probabilities: np.ndarray, themes: Sequence[str],
                edges: Sequence[float] = RELIABILITY_EDGES) -> list[dict]:
    """How often a probability came true: every theme's score for every item, pooled, in bands of probability.

    A calibrated model's scores of about 0.95 carry their theme about 95% of the time. On text unlike its
    training data they need not: this says, band by band, what share of the scores in it belong to items
    labelled with the theme. An item's score for a theme in its ``uncertain`` list is left out. The last band
    includes 1.0.

    Returns
    -------
    list of dict
        One per band, low to high: ``{"low", "high", "scores", "mean_probability", "labelled_share"}``;
        the last two are None for an empty band.

    Examples
    --------
    >>> gold = [Example("a", "", frozenset({"x"}), frozenset()), Example("b", "", frozenset(), frozenset({"y"}))]
    >>> rows = reliability(gold, np.array([[0.95, 0.2], [0.92, 0.97]]), ["x", "y"], edges=(0.0, 0.5, 1.0))
    >>> [(r["scores"], r["mean_probability"], r["labelled_share"]) for r in rows]
    [(1, 0.2, 0.0), (2, 0.935, 0.5)]
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    scores, labelled = [], []
    for item, row in zip(gold, probabilities, strict=True):
        for theme, value in zip(themes, row, strict=True):
            if theme not in item.uncertain:
                scores.append(value)
                labelled.append(theme in item.labels)
    scores_arr, labelled_arr = np.array(scores), np.array(labelled, dtype=bool)
    rows = []
    for k, (low, high) in enumerate(zip(edges[:-1], edges[1:], strict=True)):
        last = k == len(edges) - 2
        inside = (scores_arr >= low) & ((scores_arr <= high) if last else (scores_arr < high))
        count = int(inside.sum())
        rows.append({"low": low, "high": high, "scores": count,
                     "mean_probability": round(float(scores_arr[inside].mean()), 4) if count else None,
                     "labelled_share": round(float(labelled_arr[inside].mean()), 4) if count else None})
    return rows


def band_percent(value: float | None) -> str:
    """A share (0-1) as a whole percentage for the reliability tables ('-' for none): 0.75 -> '75%'."""
    return "-" if value is None else f"{round(100 * value)}%"


def format_reliability(rows: list[dict]) -> str:
    """:func:`reliability` as a plain-text table for people."""
    lines = ["How far to trust a probability: every theme's score for every passage, in bands",
             f"{'probability':<14}{'scores':>8}{'mean probability':>18}{'labelled with the theme':>25}"]
    for row in rows:
        band = f"{band_percent(row['low'])}-{band_percent(row['high'])}"
        lines.append(f"{band:<14}{row['scores']:>8}{band_percent(row['mean_probability']):>18}"
                     f"{band_percent(row['labelled_share']):>25}")
    lines.append("A score is trustworthy as a chance where the last two columns agree; where the last is lower, "
                 "the model is overconfident on this text.")
    return "\n".join(lines)


def format_interval(interval: list[float] | None, dash: str = "-") -> str:
    """An ``f1_interval`` as text, e.g. ``0.62-0.81`` ('-' when there is none)."""
    return "-" if not interval else f"{interval[0]:.2f}{dash}{interval[1]:.2f}"


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
