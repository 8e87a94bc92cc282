"""How a text of several sentences is scored: the whole text, and each of its sentences on its own.

A passage carries a theme when the passage as a whole, or any one of its sentences, reaches the theme's
threshold; its score for the theme is the higher of the two. Scored only as a whole, a passage whose theme
sits in one sentence among others about something else is diluted by them: on real sentences from
``../shared/eval`` grouped three at a time, taking the sentences into account raised macro-F1 over the core
themes from 0.56 to 0.66 with the shipped model (``benchmarks/theme_passages.py`` measures it). The pipeline,
``casereview classify``, ``casereview evaluate`` and the held-out and development scores in the model card all
use this rule.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

Embed = Callable[[list[str]], np.ndarray]


def passage_rule(whole: np.ndarray, by_sentence: Sequence[np.ndarray]) -> np.ndarray:
    """Each row of ``whole`` raised to its text's best sentence score (texts of two or more sentences).

    Examples
    --------
    >>> passage_rule(np.array([[0.2, 0.9]]), [np.array([[0.7, 0.1], [0.1, 0.3]])])
    array([[0.7, 0.9]])
    """
    combined = np.array(whole, dtype=np.float64, copy=True)
    for i, scores in enumerate(by_sentence):
        if len(scores) > 1:
            combined[i] = np.maximum(combined[i], scores.max(axis=0))
    return combined


def score_texts(classifier, texts: Sequence[str], sentences: Sequence[Sequence[str]],
                embeddings: np.ndarray | None = None, embed: Embed | None = None
                ) -> tuple[np.ndarray, list[np.ndarray]]:
    """Scores of each text under :func:`passage_rule`, and the probabilities of each text's sentences.

    Parameters
    ----------
    classifier
        A fitted classifier from :mod:`pipeline.themes.approaches`.
    texts, sentences
        The texts (at least one) and, for each, its sentences (from :func:`pipeline.segment.split_sentences`).
    embeddings
        The texts' embeddings, for classifiers that use them.
    embed
        Encodes sentences, for classifiers that use embeddings (required for them when a text has more
        than one sentence).

    Returns
    -------
    scores : ndarray (texts, themes)
    by_sentence : list of ndarray (sentences, themes)
        One per text; empty for a text of one sentence, whose sentence is the text.
    """
    texts = [str(t) for t in texts]
    if hasattr(classifier, "predict_passages"):
        whole, by_sentence = classifier.predict_passages(texts, sentences)
    else:
        whole = classifier.predict_proba(texts, embeddings)
        by_sentence = _sentence_probabilities(classifier, sentences, embed, whole.shape[1])
    return combine(whole, by_sentence)


def combine(whole: np.ndarray, by_sentence: Sequence[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """:func:`passage_rule` over texts' own and their sentences' probabilities, with a one-sentence text's
    sentence rows emptied (its sentence is the text); returns what :func:`score_texts` returns."""
    by_sentence = [scores if len(scores) > 1 else np.zeros((0, whole.shape[1])) for scores in by_sentence]
    return passage_rule(whole, by_sentence), by_sentence


def _sentence_probabilities(classifier, sentences: Sequence[Sequence[str]], embed: Embed | None,
                            n_themes: int) -> list[np.ndarray]:
    flat = [s for group in sentences if len(group) > 1 for s in group]
    if not flat:
        return [np.zeros((0, n_themes)) for _ in sentences]
    vectors = None
    if classifier.uses_embeddings:
        if embed is None:
            raise ValueError("scoring sentences with an embedding classifier needs an encoder")
        vectors = embed(flat)
    scores = classifier.predict_proba(flat, vectors)
    result, start = [], 0
    for group in sentences:
        if len(group) > 1:
            result.append(scores[start:start + len(group)])
            start += len(group)
        else:
            result.append(np.zeros((0, n_themes)))
    return result

