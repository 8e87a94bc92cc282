"""The classifiers compared by ``casereview train``: keywords, TF-IDF, sentence embeddings and their mix.

Each turns texts (and, where it needs them, their sentence embeddings) into one probability per theme, and
saves itself as numpy arrays plus a small JSON-able settings dict.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pipeline.themes.keywords import KeywordMatcher
from pipeline.themes.linear import CalibratedLinear, Folds, fit_calibrated
from pipeline.themes.taxonomy import Taxonomy

KEYWORDS, TFIDF, EMBEDDING, COMBINED = "keywords", "tfidf", "embedding", "tfidf+embedding"
APPROACHES = (KEYWORDS, TFIDF, EMBEDDING, COMBINED)
DESCRIPTIONS = {
    KEYWORDS: "seed phrases from the taxonomy, matched on lowercased lemmas (no training)",
    TFIDF: ("TF-IDF of words (1-2 grams) and characters (2-5 grams) + one-vs-rest logistic regression, "
            "also trained on mixed passages (pairs of examples joined, labels united; five draws of them, one fit "
            "each, weights averaged)"),
    EMBEDDING: "sentence embeddings + one-vs-rest logistic regression",
    COMBINED: "average of the TF-IDF and embedding models' calibrated probabilities",
}
WORD_FEATURES = {"analyzer": "word", "ngram_range": [1, 2], "min_df": 2, "sublinear_tf": True,
                 "strip_accents": "unicode"}
CHAR_FEATURES = {"analyzer": "char_wb", "ngram_range": [2, 5], "min_df": 3, "max_features": 30000,
                 "sublinear_tf": True, "strip_accents": "unicode"}
TFIDF_C = 4.0
EMBEDDING_C = 2.0
MIX_RATIO = 0.5  # mixed passages per training example
MIX_SIZE = 2  # examples joined into one mixed passage
MIX_BAGS = 5  # draws of mixed passages, one model fitted with each, weights averaged


def mixed_passages(texts: Sequence[str], labels: np.ndarray, count: int, seed: int,
                   size: int = MIX_SIZE) -> tuple[list[str], np.ndarray]:
    """Synthetic passages: ``size`` different training examples joined, labelled with the union of their labels.

    Real passages hold several sentences, and a sentence about one theme often sits beside others about another
    theme or about nothing. A linear model trained only on single-theme examples learns to push a theme down
    whenever another theme's words appear; training it also on joined examples teaches it that a theme's
    evidence counts wherever it sits in a passage.
    """
    rng = np.random.default_rng(seed)
    if len(texts) < size or count <= 0:
        return [], np.zeros((0, labels.shape[1]), dtype=labels.dtype)
    picks = [rng.choice(len(texts), size=size, replace=False) for _ in range(count)]
    return ([" ".join(texts[i] for i in pick) for pick in picks],
            np.array([labels[pick].max(axis=0) for pick in picks], dtype=labels.dtype))


class KeywordClassifier:
    """Seed-phrase baseline (0/1 scores)."""

    approach = KEYWORDS
    uses_embeddings = False

    def __init__(self, seed_phrases: dict[str, list[str]]):
        self.seed_phrases = seed_phrases
        self.matcher = KeywordMatcher(seed_phrases)

    @classmethod
    def from_taxonomy(cls, taxonomy: Taxonomy) -> KeywordClassifier:
        return cls({theme.id: list(theme.seed_phrases) for theme in taxonomy.themes})

    def predict_proba(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        return self.matcher.predict_proba(texts)

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {}

    def settings(self) -> dict:
        return {"seed_phrases": self.seed_phrases}


class TfidfClassifier:
    """Word and character TF-IDF features with a calibrated linear model per theme."""

    approach = TFIDF
    uses_embeddings = False

    def __init__(self, vectorizers: list, linear: CalibratedLinear, settings: dict):
        self.vectorizers = vectorizers
        self.linear = linear
        self._settings = settings

    @classmethod
    def fit(cls, texts: Sequence[str], labels: np.ndarray, folds: Folds, seed: int, c: float = TFIDF_C,
            mix_ratio: float = MIX_RATIO, bags: int = MIX_BAGS) -> tuple[TfidfClassifier, np.ndarray]:
        """Fit on all ``texts``; return the classifier and its calibrated out-of-fold probabilities.

        The vocabulary is relearned inside each fold, so out-of-fold scores never see their own text. Each fit
        also trains on ``mix_ratio`` mixed passages per example (:func:`mixed_passages`), made from that fit's
        own training rows only; they are never scored. With ``bags`` above 1, each fit is repeated with that
        many different draws of mixed passages and the weights are averaged, so the model depends less on
        which pairs one draw happened to join.
        """
        texts = list(texts)
        settings = {"word": WORD_FEATURES, "char": CHAR_FEATURES, "C": c,
                    "mixed_passages": {"ratio": mix_ratio, "size": MIX_SIZE, "bags": bags}}

        def mixed_sets(vectorizers, rows: list[str], row_labels: np.ndarray, first_seed: int) -> list[tuple]:
            sets = []
            for b in range(bags):  # the first draw uses the seed of a single fit
                mixed, mixed_labels = mixed_passages(rows, row_labels, int(mix_ratio * len(rows)),
                                                     first_seed + 1000 * b)
                sets.append((_stack([v.transform(mixed) for v in vectorizers]), mixed_labels))
            return sets

        fold_features, fold_extra = [], []
        for k, (train_rows, test_rows) in enumerate(folds):
            vectorizers = [_vectorizer(WORD_FEATURES), _vectorizer(CHAR_FEATURES)]
            train = [texts[i] for i in train_rows]
            test = [texts[i] for i in test_rows]
            fold_features.append((_stack([v.fit_transform(train) for v in vectorizers]),
                                  _stack([v.transform(test) for v in vectorizers])))
            fold_extra.append(mixed_sets(vectorizers, train, labels[train_rows], seed + k + 1))
        vectorizers = [_vectorizer(WORD_FEATURES), _vectorizer(CHAR_FEATURES)]
        features = _stack([v.fit_transform(texts) for v in vectorizers])
        extra = mixed_sets(vectorizers, texts, labels, seed)
        linear, out_of_fold = fit_calibrated(features, labels, folds, c, seed, fold_features, fold_extra, extra)
        return cls(vectorizers, linear, settings), out_of_fold

    def predict_proba(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        return self.linear.predict_proba(self.features(texts))

    def features(self, texts: Sequence[str]):
        """The sparse TF-IDF matrix of ``texts``."""
        return _stack([v.transform(list(texts)) for v in self.vectorizers])

    def predict_passages(self, texts: Sequence[str], sentences: Sequence[Sequence[str]]
                         ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Probabilities of each passage and of each of its sentences, analysing the characters once.

        Character n-grams (``char_wb``) never cross a word, so a passage's character counts are the sum of
        its sentences' counts whenever its words are exactly its sentences' words in order: then the passage
        row is built from the sentence rows instead of analysing the text twice (the slowest step of tagging).
        Word n-grams, which can cross a sentence boundary, are always counted on the passage itself, so the
        passage probabilities equal ``predict_proba(texts)``. A passage whose words differ from its
        sentences' is analysed directly.
        """
        passage_features, sentence_features, ends = self.passage_features(texts, sentences)
        return (self.linear.predict_proba(passage_features),
                np.split(self.linear.predict_proba(sentence_features), ends))

    def passage_features(self, texts: Sequence[str], sentences: Sequence[Sequence[str]]):
        """TF-IDF rows of each passage and of each of its sentences, analysing the characters once (see
        :meth:`predict_passages`). Returns (passage rows, sentence rows of all passages in order, the split
        points between passages' sentences for ``np.split``)."""
        from scipy.sparse import csr_matrix

        texts = [str(t) for t in texts]
        flat = [s for group in sentences for s in group]
        word, char = self.vectorizers
        if not flat:
            return self.features(texts), self.features([]), np.zeros(max(len(texts) - 1, 0), dtype=int)
        sentence_char = _counts(char, flat)
        rows, columns, direct, start = [], [], [], 0
        for i, (text, group) in enumerate(zip(texts, sentences, strict=True)):
            if group and text.split() == [w for s in group for w in s.split()]:
                rows += [i] * len(group)
                columns += range(start, start + len(group))
            else:
                direct.append(i)
            start += len(group)
        summing = csr_matrix((np.ones(len(rows)), (rows, columns)), shape=(len(texts), len(flat)))
        passage_char = summing @ sentence_char
        if direct:
            placing = csr_matrix((np.ones(len(direct)), (direct, range(len(direct)))), shape=(len(texts), len(direct)))
            passage_char = passage_char + placing @ _counts(char, [texts[i] for i in direct])
        passage_features = _stack([word.transform(texts), _weigh(char, passage_char)])
        sentence_features = _stack([word.transform(flat), _weigh(char, sentence_char)])
        return passage_features, sentence_features, np.cumsum([len(group) for group in sentences])[:-1]

    def to_arrays(self) -> dict[str, np.ndarray]:
        arrays = self.linear.to_arrays("tfidf")
        for name, vectorizer in zip(("word", "char"), self.vectorizers, strict=True):
            arrays[f"tfidf.{name}.terms"] = np.array(vectorizer.get_feature_names_out(), dtype=str)
            arrays[f"tfidf.{name}.idf"] = vectorizer.idf_.astype(np.float32)
        return arrays

    def settings(self) -> dict:
        return self._settings

    @classmethod
    def from_arrays(cls, arrays, settings: dict) -> TfidfClassifier:
        vectorizers = []
        for name in ("word", "char"):
            terms = [str(term) for term in arrays[f"tfidf.{name}.terms"]]
            vectorizer = _vectorizer(settings[name], vocabulary={term: i for i, term in enumerate(terms)})
            vectorizer.idf_ = np.asarray(arrays[f"tfidf.{name}.idf"], dtype=np.float64)
            vectorizers.append(vectorizer)
        return cls(vectorizers, CalibratedLinear.from_arrays(arrays, "tfidf"), settings)


class EmbeddingClassifier:
    """A calibrated linear model per theme on sentence embeddings."""

    approach = EMBEDDING
    uses_embeddings = True

    def __init__(self, linear: CalibratedLinear, settings: dict):
        self.linear = linear
        self._settings = settings

    @classmethod
    def fit(cls, embeddings: np.ndarray, labels: np.ndarray, folds: Folds, seed: int,
            c: float = EMBEDDING_C) -> tuple[EmbeddingClassifier, np.ndarray]:
        """Fit on all rows; return the classifier and its calibrated out-of-fold probabilities."""
        linear, out_of_fold = fit_calibrated(embeddings, labels, folds, c, seed)
        return cls(linear, {"C": c}), out_of_fold

    def predict_proba(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        if embeddings is None:
            raise ValueError("the embedding classifier needs the texts' embeddings")
        return self.linear.predict_proba(embeddings)

    def to_arrays(self) -> dict[str, np.ndarray]:
        return self.linear.to_arrays("embedding")

    def settings(self) -> dict:
        return self._settings

    @classmethod
    def from_arrays(cls, arrays, settings: dict) -> EmbeddingClassifier:
        return cls(CalibratedLinear.from_arrays(arrays, "embedding"), settings)


class CombinedClassifier:
    """The mean of the TF-IDF and embedding classifiers' calibrated probabilities."""

    approach = COMBINED
    uses_embeddings = True

    def __init__(self, tfidf: TfidfClassifier, embedding: EmbeddingClassifier):
        self.tfidf = tfidf
        self.embedding = embedding

    def predict_proba(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        return (self.tfidf.predict_proba(texts) + self.embedding.predict_proba(texts, embeddings)) / 2

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {**self.tfidf.to_arrays(), **self.embedding.to_arrays()}

    def settings(self) -> dict:
        return {"tfidf": self.tfidf.settings(), "embedding": self.embedding.settings()}

    @classmethod
    def from_arrays(cls, arrays, settings: dict) -> CombinedClassifier:
        return cls(TfidfClassifier.from_arrays(arrays, settings["tfidf"]),
                   EmbeddingClassifier.from_arrays(arrays, settings["embedding"]))


def classifier_from_arrays(approach: str, arrays, settings: dict):
    """Rebuild a saved classifier of the given approach from its arrays and settings."""
    if approach == KEYWORDS:
        return KeywordClassifier(settings["seed_phrases"])
    if approach == TFIDF:
        return TfidfClassifier.from_arrays(arrays, settings)
    if approach == EMBEDDING:
        return EmbeddingClassifier.from_arrays(arrays, settings)
    if approach == COMBINED:
        return CombinedClassifier.from_arrays(arrays, settings)
    raise ValueError(f"unknown approach '{approach}' (known: {', '.join(APPROACHES)})")


def _vectorizer(settings: dict, vocabulary: dict | None = None):
    from sklearn.feature_extraction.text import TfidfVectorizer

    options = {**settings, "ngram_range": tuple(settings["ngram_range"])}
    if vocabulary is not None:
        options.pop("min_df", None)
        options.pop("max_features", None)
    return TfidfVectorizer(**options, vocabulary=vocabulary, dtype=np.float32)


def _counts(vectorizer, texts: list[str]):
    """Raw n-gram counts of ``texts`` in a fitted TF-IDF vectorizer's vocabulary (before weighting)."""
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer.transform(vectorizer, texts).astype(np.float64)


def _weigh(vectorizer, counts):
    """What the TF-IDF vectorizer does to raw counts: sublinear tf, idf weights, then unit-length rows."""
    from scipy.sparse import csr_matrix
    from sklearn.preprocessing import normalize

    matrix = csr_matrix(counts, dtype=np.float64)
    if vectorizer.sublinear_tf:
        np.log(matrix.data, out=matrix.data)
        matrix.data += 1
    matrix = matrix.multiply(vectorizer.idf_.astype(np.float64)).tocsr()
    return normalize(matrix, norm=vectorizer.norm, copy=False).astype(np.float32) if vectorizer.norm else matrix


def _stack(matrices: list):
    from scipy.sparse import hstack

    return hstack(matrices, format="csr")
