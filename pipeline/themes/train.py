"""Train and compare the theme classifiers, choose one, and write it as a model folder.

Steps: split the training examples (20% held out by a hash of each id); fit each approach with 5-fold
cross-validation on the training split (calibrated out-of-fold probabilities); choose each theme's
threshold on those out-of-fold probabilities; score every approach on cross-validation, the held-out split,
the passages by unseen writers (``unseen_writers/`` in the data folder, if there) and, if given, a development
set of real sentences (these three scored as the pipeline scores passages: whole and sentence by sentence, see
``pipeline.themes.scoring``); choose the approach with the best mean of
cross-validated macro-F1 (all themes) and development macro-F1 (core themes); save it.
The development set is used to choose between approaches and is reported; thresholds are never tuned on it.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from pipeline import __version__
from pipeline.segment import split_sentences
from pipeline.settings import PROJECT_ROOT
from pipeline.themes import approaches as ap
from pipeline.themes.arrays import write_arrays
from pipeline.themes.card import render_model_card, write_data_card_counts
from pipeline.themes.data import (
    Example,
    data_checksum,
    is_held_out,
    load_gold,
    load_training_data,
    probe_files,
    read_examples,
    unseen_writer_files,
)
from pipeline.themes.errors import ThemeError, UnknownThemeError
from pipeline.themes.evaluate import RESAMPLES, evaluate, reliability
from pipeline.themes.model import CARD, CONFIG, METRICS, THRESHOLDS, WEIGHTS, settings_hash, weights_hash
from pipeline.themes.scoring import score_texts
from pipeline.themes.taxonomy import Taxonomy, load_taxonomy
from pipeline.themes.trust import case_review_check_in

DEFAULT_SEED = 13
FOLDS = 5
THRESHOLD_FLOOR, THRESHOLD_CEILING = 0.3, 0.9
THRESHOLD_WINDOW = 0.1  # F1 is averaged over thresholds this close (see choose_thresholds)
KEYWORD_THRESHOLD = 0.5
SCORED_SPLITS = ("held_out", "dev", "unseen_writers")  # besides cross-validation; never trained on
SELECTION_RULE = ("highest mean of cross-validated macro-F1 over all themes and development-set macro-F1 over "
                  "the core themes (cross-validated macro-F1 alone when there is no development set)")


def default_dev_path() -> Path:
    """The shared development set beside the project (``../shared/eval/dev_themes.jsonl``)."""
    return PROJECT_ROOT.parent / "shared" / "eval" / "dev_themes.jsonl"


def choose_thresholds(probabilities: np.ndarray, labels: np.ndarray, themes: Sequence[str]) -> dict[str, float]:
    """Per theme, the threshold in [0.30, 0.90] (steps of 0.01) with the best smoothed F1 on held-out probabilities.

    A threshold's smoothed F1 is the mean F1 over the thresholds within ``THRESHOLD_WINDOW`` of it, so the
    choice falls in the middle of a broad plateau rather than on a narrow peak. Near its best, F1 on
    out-of-fold probabilities is flat and a few examples decide the exact maximum; with the plain maximum the
    chosen thresholds moved by 0.07-0.14 between training seeds, with the smoothed one by 0.03-0.09. Ties go to
    the threshold nearest 0.5. The floor keeps a theme from being tagged on weak evidence even where that would
    raise F1 on the training distribution.

    Examples
    --------
    Two positives scored 0.45, just above four negatives at 0.44, make F1 peak at exactly 0.45 (1.0, against
    0.86 from 0.46 to 0.80); the smoothed choice keeps off the edge of the negatives:

    >>> p = np.array([0.8] * 6 + [0.45] * 2 + [0.44] * 4 + [0.2] * 4)
    >>> y = np.array([1] * 8 + [0] * 8)
    >>> choose_thresholds(p[:, None], y[:, None], ["theme"])
    {'theme': 0.55}
    """
    grid = np.round(np.arange(THRESHOLD_FLOOR, THRESHOLD_CEILING + 1e-9, 0.01), 2)
    steps = int(round(THRESHOLD_WINDOW / 0.01))
    wide = np.round(np.arange(THRESHOLD_FLOOR - THRESHOLD_WINDOW, THRESHOLD_CEILING + THRESHOLD_WINDOW + 1e-9, 0.01), 2)
    chosen = {}
    for j, theme in enumerate(themes):
        truth = labels[:, j].astype(bool)
        f1 = np.array([_f1(probabilities[:, j] >= threshold, truth) for threshold in wide])
        smoothed = np.convolve(f1, np.ones(2 * steps + 1) / (2 * steps + 1), mode="valid")
        best = max((round(float(value), 6), -abs(threshold - 0.5), float(threshold))
                   for value, threshold in zip(smoothed, grid, strict=True))
        chosen[theme] = best[2]
    return chosen


def _f1(tagged: np.ndarray, truth: np.ndarray) -> float:
    tp = int((tagged & truth).sum())
    return 2 * tp / (tagged.sum() + truth.sum()) if tp else 0.0


def label_matrix(examples: Sequence[Example], themes: Sequence[str]) -> np.ndarray:
    """0/1 matrix: one row per example, one column per theme."""
    return np.array([[theme in e.labels for theme in themes] for e in examples], dtype=np.int64).reshape(
        len(examples), len(themes))


def train_models(data_dir: Path, out_dir: Path, seed: int = DEFAULT_SEED, taxonomy_path: Path | None = None,
                 dev_path: Path | None = None, approaches: Sequence[str] = ap.APPROACHES,
                 encoder_name: str | None = None, compare_encoders: Sequence[str] = (),
                 log: Callable[[str], None] = print) -> dict:
    """Compare the approaches, save the chosen one to ``out_dir`` and return the metrics.

    Parameters
    ----------
    data_dir : Path
        Folder of training ``*.jsonl`` files.
    out_dir : Path
        Model folder to write (created or overwritten).
    seed : int
        Seed for the cross-validation folds and the solvers; the same seed and data give the same weights.
    taxonomy_path : Path, optional
        Defaults to ``models/taxonomy.yaml``.
    dev_path : Path, optional
        Development set of real sentences for choosing between approaches; None to choose on
        cross-validation alone.
    approaches : sequence of str
        Which of ``keywords``, ``tfidf``, ``embedding``, ``tfidf+embedding`` to compare.
    encoder_name : str, optional
        Sentence encoder for the embedding approaches and the pipeline's passage embeddings (default
        ``pipeline.embed.DEFAULT_ENCODER``).
    compare_encoders : sequence of str
        Further encoders to score the embedding approach with, for the model card only: reported as
        ``embedding (<encoder>)``, never chosen (the pipeline embeds every passage with the model's encoder, so
        a slower encoder would change the pipeline's speed, not only the classifier).
    log : callable
        Receives progress lines.

    Returns
    -------
    dict
        The contents of ``metrics.json``.

    Examples
    --------
    Takes minutes, so not run as a test (the shipped model was made this way):

    >>> metrics = train_models(Path("models/training"), Path("models/themes-v1"))  # doctest: +SKIP
    >>> metrics["chosen"]  # doctest: +SKIP
    'tfidf'
    """
    from pipeline.embed import DEFAULT_ENCODER, MAX_SEQ_LENGTH
    from pipeline.static_encoder import STATIC_ENCODER

    unknown = sorted(set(approaches) - set(ap.APPROACHES))
    if unknown or not approaches:
        raise ThemeError(f"unknown approach(es) {', '.join(unknown) or '(none given)'}: "
                         f"choose from {', '.join(ap.APPROACHES)}")
    encoder_name = encoder_name or DEFAULT_ENCODER
    taxonomy = load_taxonomy(taxonomy_path)
    log(f"taxonomy: {taxonomy.path} (version {taxonomy.version}; {len(taxonomy.ids)} themes)")
    try:
        examples = load_training_data(data_dir, taxonomy)
    except UnknownThemeError as exc:
        raise UnknownThemeError(f"{exc}. Those are the themes of the taxonomy {taxonomy.path}: add the theme there "
                                "(id, name, core, definition, includes, excludes, seed_phrases), or give the "
                                "taxonomy that has it with --taxonomy") from None
    _check_positives(examples, taxonomy, data_dir, log)
    train = [e for e in examples if not is_held_out(e.id)]
    held_out = [e for e in examples if is_held_out(e.id)]
    if len(train) < 2 * FOLDS or not held_out:
        raise ThemeError(f"{data_dir}: too few examples to train ({len(train)} training, {len(held_out)} held out)")
    dev = load_gold(dev_path, taxonomy.ids) if dev_path else []
    unseen = [e for path in unseen_writer_files(data_dir) for e in read_examples(path, taxonomy.ids)]
    themes = taxonomy.ids
    labels = label_matrix(train, themes)
    log(f"{len(examples)} examples: {len(train)} for training, {len(held_out)} held out"
        + (f"; development set: {len(dev)} sentences" if dev else "; no development set")
        + (f"; {len(unseen)} passages by unseen writers (scored only)" if unseen else ""))

    from sklearn.model_selection import KFold

    folds = list(KFold(n_splits=FOLDS, shuffle=True, random_state=seed).split(np.arange(len(train))))
    splits = {"train": train, "held_out": held_out, "dev": dev, "unseen_writers": unseen}
    embeddings = {}
    if any(a in (ap.EMBEDDING, ap.COMBINED) for a in approaches):
        embeddings = _embed_all(encoder_name, splits, log)

    fitted = _fit_approaches(approaches, taxonomy, train, labels, folds, seed, embeddings, log)
    # held-out, development and unseen writers' texts are scored as the pipeline scores passages: whole and
    # sentence by sentence
    sentences = {name: split_sentences([e.text for e in splits[name]]) for name in SCORED_SPLITS}
    embed = _encode_with(encoder_name) if embeddings else None
    results = {}
    for name, (classifier, out_of_fold) in fitted.items():
        thresholds = ({t: KEYWORD_THRESHOLD for t in themes} if name == ap.KEYWORDS
                      else choose_thresholds(out_of_fold, labels, themes))
        results[name] = _score(classifier, thresholds, out_of_fold, taxonomy, splits, sentences, embeddings, embed)
    for other in dict.fromkeys(e for e in compare_encoders if e != encoder_name):
        other_embeddings = _embed_all(other, splits, log)
        name = f"{ap.EMBEDDING} ({other})"
        log(f"fitting {name} (for comparison only) ...")
        classifier, out_of_fold = ap.EmbeddingClassifier.fit(other_embeddings["train"], labels, folds, seed)
        results[name] = _score(classifier, choose_thresholds(out_of_fold, labels, themes), out_of_fold, taxonomy,
                               splits, sentences, other_embeddings, _encode_with(other))
        results[name]["description"] = (f"{ap.DESCRIPTIONS[ap.EMBEDDING]}, with the encoder {other}; "
                                        "reported for comparison, not eligible to be chosen")
    chosen = max(fitted, key=lambda name: (_selection_score(results[name]), -ap.APPROACHES.index(name)))
    log(f"chosen: {chosen}")

    classifier = fitted[chosen][0]
    metrics = {
        "chosen": chosen,
        "selection_rule": SELECTION_RULE,
        "selection_scores": {name: _selection_score(r) for name, r in results.items() if name in fitted},
        "dev_file": dev_path.name if dev_path else None,
        "split": {"train": len(train), "held_out": len(held_out), "rule": "SHA-256 of id, first 32 bits < 20%"},
        "approaches": results,
    }
    config = {
        "name": Path(out_dir).name,
        "approach": chosen,
        "description": ap.DESCRIPTIONS[chosen],
        "encoder": encoder_name,
        "embedding_dimension": next(iter(embeddings.values())).shape[1] if embeddings else None,
        "max_seq_length": None if encoder_name == STATIC_ENCODER else MAX_SEQ_LENGTH,
        "themes": themes,
        "core_themes": taxonomy.core_ids,
        "taxonomy_version": taxonomy.version,
        "taxonomy_file": _shown_path(taxonomy.path),
        "training_data": {"folder": Path(data_dir).name, "path": _shown_path(data_dir),
                          "sha256": data_checksum(data_dir),
                          "examples": len(examples), "train": len(train), "held_out": len(held_out),
                          "unseen_writers": len(unseen)},
        "seed": seed,
        "folds": FOLDS,
        "threshold_rule": (f"max F1 on out-of-fold probabilities, averaged over thresholds within {THRESHOLD_WINDOW}, "
                           f"in [{THRESHOLD_FLOOR}, {THRESHOLD_CEILING}]"),
        "settings": classifier.settings(),
        "casereview_version": __version__,
        "created": datetime.date.today().isoformat(),
    }
    detector = None
    if chosen == ap.TFIDF:
        detector, metrics["about_the_review"] = _fit_process_detector(classifier, data_dir, taxonomy, train, held_out,
                                                                      dev, unseen, seed)
        config["about_the_review"] = ({"cut": detector.cut, "rule": "the pipeline drops a tag when its passage and "
                                       "its evidence sentence are both flagged (pipeline/themes/process.py)"}
                                      if detector else None)
        log("review-process detector: " + (f"{metrics['about_the_review']['held_out']}" if detector else "none "
                                           "(too few examples about the review itself)"))
    _write_model(Path(out_dir), classifier, results[chosen]["thresholds"], config, metrics,
                 detector.to_arrays() if detector else {})
    write_data_card_counts(Path(data_dir), examples, themes)
    return metrics


# A theme needs this many examples about it to be learned at all (after a fifth is held out, two or three in each
# part of 5-fold cross-validation, to choose its threshold on); under FEW_POSITIVES its scores are unsteady. The
# shipped themes have 300-700.
MIN_POSITIVES = 15
FEW_POSITIVES = 100


def _shown_path(path: Path) -> str:
    """A path as a model card gives it: from the project's folder when inside it ("models/training"), else whole."""
    path = Path(path).resolve()
    return path.relative_to(PROJECT_ROOT).as_posix() if path.is_relative_to(PROJECT_ROOT) else str(path)


def _check_positives(examples: Sequence[Example], taxonomy: Taxonomy, data_dir: Path, log) -> None:
    """Refuse to train a theme with almost no examples about it (it would be saved, and then never tag
    anything), and warn of one with few."""
    counts = {theme: sum(1 for e in examples if theme in e.labels) for theme in taxonomy.ids}
    short = {theme: count for theme, count in counts.items() if count < MIN_POSITIVES}
    if short:
        listed = ", ".join(f"'{theme}' {count}" for theme, count in short.items())
        one = len(short) == 1
        raise ThemeError(f"{data_dir}: too few examples labelled with {'this theme' if one else 'these themes'}"
                         f" of {taxonomy.path} to learn {'it' if one else 'them'} ({listed}; at least "
                         f"{MIN_POSITIVES} are needed, and {FEW_POSITIVES} or more give steady scores). Write "
                         "examples about it in a .jsonl file in the folder (with examples that use its words without "
                         "being about it, labelled without it), or take the theme out of the taxonomy")
    for theme, count in counts.items():
        if count < FEW_POSITIVES:
            log(f"note: only {count} examples labelled '{theme}': its threshold and scores rest on few examples "
                f"and will be unsteady ({FEW_POSITIVES} or more are better)")


def _embed_all(encoder_name: str, splits: dict[str, list[Example]], log) -> dict[str, np.ndarray]:
    from pipeline.embed import load_encoder

    encoder = load_encoder(encoder_name)
    texts = list(dict.fromkeys(e.text for items in splits.values() for e in items))
    log(f"encoding {len(texts)} texts with {encoder_name} ...")
    vectors = encoder.encode(texts)
    row = {text: i for i, text in enumerate(texts)}
    return {name: vectors[[row[e.text] for e in items]].reshape(len(items), vectors.shape[1])
            for name, items in splits.items()}


def _encode_with(encoder_name: str):
    """A function encoding texts with the named encoder, loaded on first use."""
    from pipeline.embed import load_encoder

    encoder = None

    def encode(texts: list[str]) -> np.ndarray:
        nonlocal encoder
        encoder = encoder or load_encoder(encoder_name)
        return encoder.encode(texts)

    return encode


def _fit_approaches(approaches, taxonomy: Taxonomy, train, labels, folds, seed, embeddings, log):
    fitted: dict[str, tuple] = {}
    texts = [e.text for e in train]
    for name in ap.APPROACHES:  # fixed order: the combination reuses the two models it averages
        if name not in approaches and not (name in (ap.TFIDF, ap.EMBEDDING) and ap.COMBINED in approaches):
            continue
        log(f"fitting {name} ...")
        if name == ap.KEYWORDS:
            classifier = ap.KeywordClassifier.from_taxonomy(taxonomy)
            fitted[name] = (classifier, classifier.predict_proba(texts))
        elif name == ap.TFIDF:
            fitted[name] = ap.TfidfClassifier.fit(texts, labels, folds, seed)
        elif name == ap.EMBEDDING:
            fitted[name] = ap.EmbeddingClassifier.fit(embeddings["train"], labels, folds, seed)
        else:
            (tfidf, tfidf_oof), (embedding, embedding_oof) = fitted[ap.TFIDF], fitted[ap.EMBEDDING]
            fitted[name] = (ap.CombinedClassifier(tfidf, embedding), (tfidf_oof + embedding_oof) / 2)
    return {name: fitted[name] for name in fitted if name in approaches}


def _score(classifier, thresholds, out_of_fold, taxonomy: Taxonomy, splits, sentences, embeddings, embed) -> dict:
    themes, core = taxonomy.ids, taxonomy.core_ids
    threshold_row = np.array([thresholds[t] for t in themes])

    def tagged(probabilities: np.ndarray) -> list[set[str]]:
        return [{t for t, hit in zip(themes, row, strict=True) if hit} for row in probabilities >= threshold_row]

    result = {"thresholds": thresholds,
              "cross_validation": evaluate(splits["train"], tagged(out_of_fold), themes, core)}
    for name in SCORED_SPLITS:
        items = splits[name]
        if not items:
            result[name] = None
            continue
        texts = [e.text for e in items]
        probabilities, _ = score_texts(classifier, texts, sentences[name], embeddings.get(name), embed)
        result[name] = evaluate(items, tagged(probabilities), themes, core, resamples=RESAMPLES)
        result[name]["reliability"] = reliability(items, probabilities, themes)
    return result


def _selection_score(result: dict) -> float:
    cv = result["cross_validation"]["macro"]["f1"] or 0.0
    if result["dev"] is None:
        return round(cv, 4)
    return round((cv + (result["dev"]["macro_core"]["f1"] or 0.0)) / 2, 4)


def _fit_process_detector(classifier, data_dir: Path, taxonomy: Taxonomy, train: list[Example],
                          held_out: list[Example], dev: list[Example], unseen: list[Example], seed: int):
    """Fit the review-process detector on the training split and the probe passages (split by id the same way);
    report it on the held-out ones, on the development set and on the unseen writers' passages (the last two
    without a mark of which passages are about the review: what it flags among those with a theme is lost, among
    the others it is not). Returns (detector or None, report or None)."""
    from pipeline.themes.process import ReviewProcessDetector, detector_report, is_about_the_review

    probes = [e for path in probe_files(data_dir) for e in read_examples(path, taxonomy.ids)]
    fit_rows = [(e, False) for e in train] + [(e, True) for e in probes if not is_held_out(e.id)]
    test_rows = [(e, False) for e in held_out] + [(e, True) for e in probes if is_held_out(e.id)]
    about = np.array([is_about_the_review(e, probe) for e, probe in fit_rows], dtype=int)
    detector = ReviewProcessDetector.fit(classifier.features([e.text for e, _ in fit_rows]), about, seed)
    if detector is None:
        return None, None
    tested = [e for e, _ in test_rows]
    report = {"trained_on": {"items": len(fit_rows), "about_the_review": int(about.sum()),
                             "probes": len(probes)},
              "held_out": detector_report(detector, classifier.features([e.text for e in tested]), tested,
                                          np.array([is_about_the_review(e, probe) for e, probe in test_rows]))}
    for name, items in (("dev", dev), ("unseen_writers", unseen)):
        if items:
            report[name] = detector_report(detector, classifier.features([e.text for e in items]), items,
                                           np.zeros(len(items), dtype=int))
    return detector, report


def _write_model(out_dir: Path, classifier, thresholds: dict, config: dict, metrics: dict,
                 extra_arrays: dict | None = None) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    write_arrays(out_dir / WEIGHTS, {**classifier.to_arrays(), **(extra_arrays or {})})
    _write_json(out_dir / THRESHOLDS, thresholds)
    config["weights_sha256"] = weights_hash(out_dir)
    config["settings_sha256"] = settings_hash(config)
    _write_json(out_dir / CONFIG, config)
    _write_json(out_dir / METRICS, metrics)
    # a check on case-review sentences recorded for earlier weights says nothing of these (see themes.trust)
    case_review = case_review_check_in(out_dir, config["weights_sha256"])
    (out_dir / CARD).write_text(render_model_card(config, metrics, case_review), encoding="utf-8")


def _write_json(path: Path, value: dict) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
