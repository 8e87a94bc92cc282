"""A trained theme model: a folder loaded by path, giving probabilities, labels and evidenced passage tags.

The folder holds ``config.json`` (approach, encoder, themes, provenance), ``weights.npz`` (numpy arrays,
no pickle), ``thresholds.json`` (one per theme), ``metrics.json`` and ``MODEL_CARD.md``, and may hold
``case_review_check.json`` (a one-off check on other people's text, quoted only for the weights it measured:
:mod:`pipeline.themes.trust`). Its version, ``<name>@<hash>``, is a hash of the weights and thresholds and is
recorded with every tag.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from pipeline.records import Evidence, Passage, ThemeTag
from pipeline.themes.approaches import classifier_from_arrays
from pipeline.themes.arrays import read_arrays
from pipeline.themes.errors import ThemeError
from pipeline.themes.scoring import score_texts

CONFIG, WEIGHTS, THRESHOLDS, METRICS, CARD = ("config.json", "weights.npz", "thresholds.json", "metrics.json",
                                              "MODEL_CARD.md")
MAX_EVIDENCE = 2


def weights_hash(folder: Path) -> str:
    """SHA-256 of the weights and thresholds files (what decides the tags)."""
    digest = hashlib.sha256()
    for name in (WEIGHTS, THRESHOLDS):
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()


# What in config.json decides the scores besides the weights: how texts become features, with which encoder,
# and for which themes (the column order of the weights).
SCORING_KEYS = ("approach", "encoder", "embedding_dimension", "max_seq_length", "themes", "settings")


def settings_hash(config: dict) -> str:
    """SHA-256 of what in a model's ``config.json`` decides its scores besides the weights (``SCORING_KEYS``).

    The model's version names its weights only, so ``casereview train`` records this too and loading refuses
    a config edited since: the same version must always mean the same tags.

    >>> settings_hash({"approach": "tfidf", "settings": {"word": {"min_df": 2}}}) == settings_hash(
    ...     {"settings": {"word": {"min_df": 2}}, "approach": "tfidf", "name": "renamed"})
    True
    >>> settings_hash({"approach": "tfidf", "settings": {"word": {"min_df": 3}}})[:12]
    '74e2d4ba3978'
    """
    text = json.dumps({key: config.get(key) for key in SCORING_KEYS}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ThemeModel:
    """Tags passages with learning themes.

    Use ``ThemeModel.load(folder)``. Attributes: ``themes`` (ids, the column order of probabilities),
    ``core_themes``, ``thresholds`` (id -> probability at or above which a theme is tagged), ``version``,
    ``encoder_name`` and ``approach``.

    Examples
    --------
    >>> model = ThemeModel.load(Path("models/themes-v1"))
    >>> model.labels(["The children were never seen on their own or asked what life at home was like."])
    [['voice_of_child']]
    """

    def __init__(self, folder: Path, config: dict, classifier, thresholds: dict[str, float], version: str):
        self.folder = folder
        self.config = config
        self.classifier = classifier
        self.themes: list[str] = list(config["themes"])
        self.core_themes: list[str] = list(config["core_themes"])
        self.thresholds = thresholds
        self.version = version
        self.approach: str = config["approach"]
        self.encoder_name: str = config["encoder"]
        self._threshold_row = np.array([thresholds[t] for t in self.themes])
        self._encoder = None
        self.process_detector = None  # ReviewProcessDetector, when the model folder has one

    @classmethod
    def load(cls, folder: Path) -> ThemeModel:
        """Load a model folder written by ``casereview train``.

        Raises
        ------
        ThemeError
            If a file is missing or unreadable, or the weights changed after training (hash mismatch).
        """
        folder = Path(folder)
        config, thresholds, arrays, version = _read_checked(folder)
        from pipeline.themes.process import ReviewProcessDetector

        classifier = classifier_from_arrays(config["approach"], arrays, config.get("settings", {}))
        model = cls(folder, config, classifier, {t: float(thresholds[t]) for t in config["themes"]}, version)
        if hasattr(classifier, "passage_features"):
            model.process_detector = ReviewProcessDetector.from_arrays(arrays)
        return model

    @staticmethod
    def check(folder: Path) -> str:
        """The version of the model in ``folder`` (as ``load(folder).version``), after the checks ``load``
        makes, without building its classifier (a second or more): a run that may have nothing to tag knows
        which tags are current, and a broken folder is reported before any review is read.

        >>> ThemeModel.check(Path("models/themes-v1")) == ThemeModel.load(Path("models/themes-v1")).version
        True
        """
        return _read_checked(Path(folder))[3]

    def about_the_review(self, texts: Sequence[str]) -> np.ndarray:
        """For each text, whether it is about the review itself (how it came about and was done) by the
        model's review-process detector (:mod:`pipeline.themes.process`); all False without one."""
        texts = list(texts)
        if self.process_detector is None or not texts:
            return np.zeros(len(texts), dtype=bool)
        return self.process_detector.flags(self.classifier.features(texts))

    @property
    def uses_embeddings(self) -> bool:
        """Whether the classifier needs sentence embeddings (so tagging computes them)."""
        return self.classifier.uses_embeddings

    @property
    def encoder(self):
        """The sentence encoder named in the config (loaded on first use)."""
        if self._encoder is None:
            from pipeline.embed import load_encoder

            self._encoder = load_encoder(self.encoder_name)
        return self._encoder

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Sentence embeddings of ``texts`` with the model's encoder."""
        return self.encoder.encode(list(texts))

    def predict_proba(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        """Probabilities of each text taken as a whole, one row per text and one column per theme.

        ``embeddings`` (rows matching ``texts``) skips encoding when the approach uses embeddings. Tagging
        also looks at each sentence on its own: use :meth:`score` for what the pipeline and the commands give.
        """
        texts = list(texts)
        if not texts:
            return np.zeros((0, len(self.themes)))
        if self.uses_embeddings and embeddings is None:
            embeddings = self.embed(texts)
        return self.classifier.predict_proba(texts, embeddings)

    def score(self, texts: Sequence[str], sentences: Sequence[Sequence[str]] | None = None,
              embeddings: np.ndarray | None = None) -> np.ndarray:
        """Theme scores as the pipeline gives them: per theme, the higher of the whole text's probability
        and its best sentence's (see :mod:`pipeline.themes.scoring`); a theme is tagged at its threshold.

        ``sentences`` (each text's sentences) is found with the project's sentencizer when not given.
        """
        return self._score(list(texts), sentences, embeddings)[0]

    def _score_with_process_flags(self, texts: list[str], sentences: list[list[str]]):
        """Like :meth:`_score` for a TF-IDF model, also returning the review-process flags of each passage and
        of each of its sentences, from the same feature rows."""
        from pipeline.themes.scoring import combine

        passage_rows, sentence_rows, ends = self.classifier.passage_features(texts, sentences)
        linear = self.classifier.linear
        scores, by_sentence = combine(linear.predict_proba(passage_rows),
                                      np.split(linear.predict_proba(sentence_rows), ends))
        flags = (self.process_detector.flags(passage_rows), np.split(self.process_detector.flags(sentence_rows), ends))
        return scores, by_sentence, flags

    def _score(self, texts: list[str], sentences: Sequence[Sequence[str]] | None,
               embeddings: np.ndarray | None) -> tuple[np.ndarray, list[np.ndarray]]:
        if not texts:
            return np.zeros((0, len(self.themes))), []
        if sentences is None:
            from pipeline.segment import split_sentences

            sentences = split_sentences(texts)
        if self.uses_embeddings and embeddings is None:
            embeddings = self.embed(texts)
        return score_texts(self.classifier, texts, sentences, embeddings, self.embed)

    def labels(self, texts: Sequence[str]) -> list[list[str]]:
        """The themes tagged for each text (score at or above the theme's threshold; see :meth:`score`)."""
        return self.labels_from(self.score(texts))

    def labels_from(self, probabilities: np.ndarray) -> list[list[str]]:
        """Tagged themes for each row of a probability matrix."""
        return [[t for t, hit in zip(self.themes, row, strict=True) if hit]
                for row in probabilities >= self._threshold_row]

    def tag_passages(self, passages: Sequence[Passage], embeddings: Mapping[str, Sequence[float]] | None = None,
                     with_embeddings: bool = True, drop_review_process: bool = False
                     ) -> tuple[list[ThemeTag], dict[str, list[float]]]:
        """Tag passages with themes, each tag with its evidence sentences.

        Parameters
        ----------
        passages : sequence of Passage
        embeddings : mapping of passage id to vector, optional
            Vectors already computed with this model's encoder (e.g. cached); only the others are encoded.
        with_embeddings : bool
            Compute passage embeddings (for reuse by later stages) even when the classifier does not need
            them. False skips encoding for such models, which makes tagging many times faster.
        drop_review_process : bool
            Leave out a tag when both its passage and its first evidence sentence are about how the review was
            done, by the model's review-process detector (:mod:`pipeline.themes.process`; as the pipeline
            tags). Requiring both keeps a finding told in a passage that opens in the review's words. The
            detector reads the same TF-IDF rows as the themes, so this costs almost nothing.

        Returns
        -------
        tags : list of ThemeTag
            One per passage and theme scoring at or above the threshold (the score of :meth:`score`: the
            higher of the passage's and its best sentence's probability), with the one or two sentences of the
            passage that score highest for the theme as evidence (the second only if it reaches the threshold
            on its own).
        computed : dict
            Passage id -> vector for the passages encoded here (empty if none were encoded).
        """
        passages = list(passages)
        vectors, computed = None, {}
        if passages and (with_embeddings or self.uses_embeddings):
            vectors, computed = self._passage_vectors(passages, embeddings or {})
        texts, sentences = [p.text for p in passages], [[s.text for s in p.sentences] for p in passages]
        about = None
        if drop_review_process and self.process_detector is not None and passages:
            probabilities, by_sentence, about = self._score_with_process_flags(texts, sentences)
            passage_about, sentence_about = about
        else:
            probabilities, by_sentence = self._score(texts, sentences, vectors if self.uses_embeddings else None)
        hits = probabilities >= self._threshold_row
        tags = []
        for i, passage in enumerate(passages):
            for j in np.flatnonzero(hits[i]):
                evidence = self._evidence(passage, j, float(probabilities[i, j]),
                                          by_sentence[i] if len(by_sentence[i]) else None)
                if about is not None and passage_about[i] and (
                        not len(by_sentence[i]) or sentence_about[i][int(np.argmax(by_sentence[i][:, j]))]):
                    continue  # the passage and its evidence sentence are about the review itself
                tags.append(ThemeTag(passage_id=passage.passage_id, theme=self.themes[j],
                                     score=round(float(probabilities[i, j]), 4), model_version=self.version,
                                     evidence=evidence))
        return tags, computed

    def _passage_vectors(self, passages: list[Passage], given: Mapping[str, Sequence[float]]
                         ) -> tuple[np.ndarray, dict[str, list[float]]]:
        missing = [i for i, p in enumerate(passages) if p.passage_id not in given]
        encoded = self.embed([passages[i].text for i in missing]) if missing else None
        vectors = np.zeros((len(passages), self.encoder_dimension(given, encoded)), dtype=np.float32)
        for i, passage in enumerate(passages):
            if passage.passage_id in given:
                vectors[i] = np.asarray(given[passage.passage_id], dtype=np.float32)
        computed = {}
        for row, i in enumerate(missing):
            vectors[i] = encoded[row]
            computed[passages[i].passage_id] = encoded[row].tolist()
        return vectors, computed

    def encoder_dimension(self, given: Mapping[str, Sequence[float]], encoded: np.ndarray | None) -> int:
        """The vector size: from freshly encoded rows, else the given vectors (checked against the weights)."""
        dimension = encoded.shape[1] if encoded is not None else len(next(iter(given.values())))
        expected = self.config.get("embedding_dimension")
        if expected and dimension != expected:
            raise ThemeError(f"embeddings have {dimension} values but the model at {self.folder} expects {expected} "
                             f"(were they made with {self.encoder_name}?)")
        return dimension

    def _evidence(self, passage: Passage, theme: int, passage_score: float,
                  sentence_scores: np.ndarray | None) -> tuple[Evidence, ...]:
        if not passage.sentences:
            return (Evidence(sentence_seq=0, text=passage.text, score=round(passage_score, 4)),)
        if sentence_scores is None:  # a one-sentence passage: the sentence is the passage
            sentence = passage.sentences[0]
            return (Evidence(sentence_seq=sentence.seq, text=sentence.text, score=round(passage_score, 4)),)
        column = sentence_scores[:, theme]
        ranked = np.argsort(-column, kind="stable")[:MAX_EVIDENCE]
        chosen = [k for rank, k in enumerate(ranked) if rank == 0 or column[k] >= self._threshold_row[theme]]
        return tuple(Evidence(sentence_seq=passage.sentences[k].seq, text=passage.sentences[k].text,
                              score=round(float(column[k]), 4)) for k in chosen)


def _read_checked(folder: Path) -> tuple[dict, dict, dict, str]:
    """A model folder's config, thresholds, weight arrays and version, checked as ``ThemeModel.load`` says."""
    if not folder.is_dir():
        raise ThemeError(f"{folder}: no such folder" + (" (it is a file: give the model's folder)" if folder.exists()
                                                        else "") + "; a theme model is a folder `casereview train` "
                         "wrote, such as models/themes-v1")
    for name in (CONFIG, WEIGHTS, THRESHOLDS):
        if not (folder / name).is_file():
            inside = sorted(sub.name for sub in folder.iterdir() if sub.is_dir() and (sub / CONFIG).is_file())
            raise ThemeError(f"{folder}: not a theme model folder ({name} is missing); "
                             + (f"the model folders in it: {', '.join(inside)} (give one of them)" if inside
                                else "train one with `casereview train`"))
    try:
        config = json.loads((folder / CONFIG).read_text(encoding="utf-8"))
        thresholds = json.loads((folder / THRESHOLDS).read_text(encoding="utf-8"))
        arrays = read_arrays(folder / WEIGHTS)
    except (OSError, ValueError) as exc:
        raise ThemeError(f"{folder}: cannot read the model files ({exc})") from None
    missing = [t for t in config.get("themes", []) if t not in thresholds]
    if missing:
        raise ThemeError(f"{folder / THRESHOLDS}: no threshold for {', '.join(missing)}")
    digest = weights_hash(folder)
    if config.get("weights_sha256") and config["weights_sha256"] != digest:
        raise ThemeError(f"{folder}: weights.npz or thresholds.json changed after training (hash mismatch); "
                         "retrain with `casereview train`")
    if config.get("settings_sha256") and config["settings_sha256"] != settings_hash(config):
        changed = ", ".join(SCORING_KEYS[:-1]) + " or " + SCORING_KEYS[-1]
        raise ThemeError(f"{folder / CONFIG}: its {changed} changed after training (hash mismatch), so the "
                         "model's version would no longer say how its tags were made; put them back as they "
                         "were, or retrain with `casereview train`")
    return config, thresholds, arrays, f"{config['name']}@{digest[:10]}"
