"""Find the topics the passages of the reviews talk about (BERTopic), store them, and assign new passages.

``fit_topics`` clusters the cached passage embeddings (UMAP, then HDBSCAN), describes each cluster by its
most characteristic words (c-TF-IDF over a vectoriser that ignores case-review boilerplate), gives every
outlier the nearest topic, and writes ``topic_models``, ``topics``, ``topic_representatives`` and
``passage_topics`` in one transaction. The model is saved with safetensors (no pickles, no embedding model)
under ``outputs/topics/<model_version>/``; ``assign_topics`` loads it and gives passages of reviews added
later their nearest topic without refitting. Nothing is downloaded: BERTopic only ever sees precomputed
embeddings. BERTopic is slow to import, so it is imported inside the functions that need it.

The same passages and settings always give the same topics: input is sorted by passage id, UMAP is seeded
(which makes it single-threaded) and HDBSCAN is deterministic. Labels and the names kept out of topic terms
are made in ``pipeline.topic_labels``; the HTML pictures are drawn by ``pipeline.topic_charts``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
import warnings
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib.metadata import version
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np

from pipeline.embed import DEFAULT_ENCODER, EncoderError, load_encoder
from pipeline.errors import CaseReviewError
from pipeline.runlock import changing_the_database
from pipeline.settings import db_argument, imports_refused, no_database_message, topics_dir_for
from pipeline.store import Store, _insert_embeddings, _transaction, _utc_now
from pipeline.topic_charts import write_visualisations, write_year_chart
from pipeline.topic_labels import names_in, readable_label

if TYPE_CHECKING:
    from bertopic import BERTopic

MIN_PASSAGES = 40
TOP_TERMS = 10
REPRESENTATIVES = 3
OUTLIER_LABEL = "no clear topic"
SETTINGS_FILE = "settings.json"
# Words every case review uses whatever it is about: as topic terms they would only hide the real subject.
BOILERPLATE_WORDS: tuple[str, ...] = (
    "agencies", "agency", "also", "case", "cases", "child", "childs", "children", "cspr", "dr", "learning",
    "lcspr", "miss", "mr", "mrs", "ms", "page", "paragraph", "partnership", "practice", "practitioner",
    "practitioners", "professional", "professionals", "report", "review", "reviewer", "reviewers", "reviews",
    "redacted", "safeguarding", "scr",  # "redacted": what stands for words under a redaction (pdflines)
    "al", "et", "ibid", "pp",  # citations: "(Farmer et al. 2011, pp. 4-5)"
    # what is left of a contraction when words are split at the apostrophe ("we've", "didn't")
    "aren", "couldn", "didn", "doesn", "don", "hadn", "hasn", "haven", "isn", "ll", "re", "shouldn", "ve",
    "wasn", "weren", "won", "wouldn",
)
_TOKEN_PATTERN = r"(?u)\b[^\W\d_]{2,}\b"  # words of letters only: no page numbers, years or paragraph refs
# BERTopic imports these whenever they are installed, for embedding models and for saving with torch; here it is
# given embeddings and saves with safetensors, so they are not imported with it: about 350 MB of memory and a few
# seconds less for every fit (torch stays importable afterwards for the encoders that need it).
_NOT_NEEDED_BY_BERTOPIC = ("torch", "transformers", "sentence_transformers")
# Rows of embeddings handled at a time where a step needs a temporary array as large as the rows it works on.
_ROWS_AT_A_TIME = 65_536
# The most neighbours HDBSCAN counts to judge how dense a passage's surroundings are (its min_samples, which is
# otherwise the min topic size). Its table of neighbours holds passages x (min_samples + 1) entries of 16 bytes,
# so with the default min topic size (one passage in 50) it grew with the square of the corpus: 3.2 GB at 100,000
# passages. Capped, it grows with the corpus: 160 MB at 100,000 (a fit of 99,919 passages, copies of the demo,
# peaked at 1.3 GB instead of 5.6 GB). Only corpora of 5,050 passages or more (at the default min topic size), or
# a --min-topic-size above the cap, are clustered differently from before the cap. 100, not 50 or 200: see
# docs/topics.md (Memory).
MAX_MIN_SAMPLES = 100

_SELECT_PASSAGES = "SELECT passage_id, text FROM passages ORDER BY passage_id"
_SELECT_UNASSIGNED = """
SELECT passage_id, text FROM passages
WHERE passage_id NOT IN (SELECT passage_id FROM passage_topics WHERE model_version = ?)
ORDER BY passage_id"""
_SELECT_ENCODER = """
SELECT e.model FROM passage_embeddings e JOIN passages p USING (passage_id)
GROUP BY e.model ORDER BY count(*) DESC, e.model = ? DESC, e.model LIMIT 1"""
_SELECT_VECTORS = """
SELECT passage_id, vector FROM passage_embeddings
WHERE model = $2 AND passage_id IN (SELECT unnest($1::VARCHAR[]))"""
_SELECT_CURRENT_MODEL = """
SELECT model_version, model_dir FROM topic_models ORDER BY fitted_at DESC, model_version LIMIT 1"""
_SELECT_TOPICS = """
SELECT topic_id, label, terms, size FROM topics WHERE model_version = ? ORDER BY topic_id"""
_DELETE_MODEL_ROWS: tuple[str, ...] = (
    "DELETE FROM topic_representatives WHERE model_version = ?",
    "DELETE FROM passage_topics WHERE model_version = ?",
    "DELETE FROM topics WHERE model_version = ?",
    "DELETE FROM topic_models WHERE model_version = ?",
)
_INSERT_MODEL = """
INSERT INTO topic_models (model_version, fitted_at, encoder, seed, min_topic_size, passages, topics, model_dir)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)"""
_INSERT_TOPICS = """
INSERT INTO topics (topic_id, label, terms, size, model_version)
SELECT unnest($1), unnest($2), unnest($3), unnest($4), $5"""
_INSERT_PASSAGE_TOPICS = """
INSERT INTO passage_topics (passage_id, topic_id, probability, model_version)
SELECT unnest($1), unnest($2), unnest($3), $4"""
_INSERT_REPRESENTATIVES = f"""
INSERT INTO topic_representatives (topic_id, model_version, rank, passage_id)
SELECT topic_id, model_version, rank, passage_id FROM (
    SELECT topic_id, model_version, passage_id,
           row_number() OVER (PARTITION BY topic_id ORDER BY probability DESC, passage_id) AS rank
    FROM passage_topics WHERE model_version = ? AND topic_id >= 0
) WHERE rank <= {REPRESENTATIVES}"""
# Passages that were replaced (their review was processed again) no longer count for the model.
_DELETE_STALE_ASSIGNMENTS = """
DELETE FROM passage_topics WHERE model_version = ? AND passage_id NOT IN (SELECT passage_id FROM passages)"""


@dataclass(frozen=True)
class TopicSettings:
    """Everything that decides which topics a corpus gives; part of the model version.

    Attributes
    ----------
    seed : int or None
        UMAP's random state; None runs UMAP in parallel but the topics then change from fit to fit.
    min_topic_size : int
        The smallest group of passages that can be a topic (HDBSCAN's minimum cluster size).
    min_samples : int
        How many neighbours of a passage decide how dense its surroundings are (HDBSCAN's ``min_samples``): the
        min topic size, at most ``MAX_MIN_SAMPLES``. Part of the model version only where it differs from the
        min topic size, so that fits made before it was capped keep their model versions.
    n_neighbors, n_components : int
        UMAP's neighbourhood size and output dimensions.
    encoder : str
        The passage encoder whose embeddings are clustered (``passage_embeddings.model``).
    stop_words : tuple of str
        Words left out of topic terms besides scikit-learn's English stop words (boilerplate, area names).
    ngram_range : tuple of int
        Topic terms are single words and two-word phrases.
    libraries : dict
        Versions of BERTopic, UMAP, HDBSCAN and scikit-learn (another version may cluster differently).
    numbering : str
        How topics are numbered; a change of it gives a new model version, so that one model version always
        has the same topic numbers.
    terms : str
        How a topic's terms are weighed: each counted once in each passage it is in (``PASSAGE_END``), so that
        one passage that repeats a word (a table of "Yes | Yes | Yes") cannot name a topic of a hundred. A change
        of it gives a new model version, as the labels change.
    """

    seed: int | None
    min_topic_size: int
    min_samples: int
    n_neighbors: int
    n_components: int
    encoder: str
    stop_words: tuple[str, ...]
    ngram_range: tuple[int, int] = (1, 2)
    libraries: dict[str, str] = field(default_factory=dict)
    numbering: str = "largest first, after outliers join their nearest topic"
    terms: str = "each counted once a passage"


@dataclass(frozen=True)
class TopicModelInfo:
    """What ``fit_topics`` made.

    Attributes
    ----------
    model_version : str
        ``topics@<hash>``, the key of the model's rows in the database.
    model_dir : Path
        Folder of the saved model and its ``settings.json``.
    passages, topics : int
        Passages fitted and topics found (the outlier topic -1 not counted).
    outliers_reassigned, unassigned : int
        Passages HDBSCAN left out that were given their nearest topic, and those still in topic -1.
    settings : TopicSettings
        The settings used.
    seconds : float
        Time taken by the fit itself (clustering and topic terms).
    files : list of Path
        The HTML pictures written.
    notes : list of str
        Pictures that could not be drawn for this corpus, and why.
    """

    model_version: str
    model_dir: Path
    passages: int
    topics: int
    outliers_reassigned: int
    unassigned: int
    settings: TopicSettings
    seconds: float
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AssignInfo:
    """What ``assign_topics`` did: the model used and how many passages got a topic."""

    model_version: str
    model_dir: Path
    assigned: int
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Corpus:
    """Passages in id order, their embeddings by ``encoder``, and those computed now (not yet stored)."""

    passage_ids: list[str]
    texts: list[str]
    embeddings: np.ndarray
    encoder: str = DEFAULT_ENCODER
    computed: dict[str, np.ndarray] = field(default_factory=dict)


# --------------------------------------------------------------------------- fitting


def fit_topics(
    db_path: Path,
    *,
    seed: int | None = 42,
    min_topic_size: int | None = None,
    out_dir: Path | None = None,
    encoder: str | None = None,
) -> TopicModelInfo:
    """Find the topics of all passages in the database, store them and save the model.

    Parameters
    ----------
    db_path : Path
        The casereview database.
    seed : int or None
        Random seed for UMAP: the same passages and settings give the same topics. None is faster on
        several cores but not reproducible.
    min_topic_size : int, optional
        Smallest topic, in passages; default ``max(5, passages // 50)``.
    out_dir : Path, optional
        Where models and pictures go (default: the database's own folder beside it, ``topics_dir_for``:
        ``outputs/topics`` for the default database, ``NAME-topics`` for ``NAME.duckdb``).
    encoder : str, optional
        Which stored embeddings to use; default the encoder with embeddings for the most passages.

    Returns
    -------
    TopicModelInfo
        The model version, its folder, counts and the pictures written.

    Raises
    ------
    CaseReviewError
        With fewer than ``MIN_PASSAGES`` passages, when embeddings are missing and cannot be computed, or
        when no topic stands out.

    Examples
    --------
    On the demo database (about a minute, so not run as a test):

    >>> info = fit_topics(Path("outputs/casereview.duckdb"))  # doctest: +SKIP
    >>> info.model_version, info.topics  # doctest: +SKIP
    ('topics@d1ee11eb341c', 10)
    """
    store = _open_store(db_path)
    with changing_the_database(db_path, "casereview topics fit", "fit the topics"):  # on its whole work
        corpus = _read_corpus(store, encoder)
        settings = _settings(len(corpus.passage_ids), seed, min_topic_size, corpus.encoder, names_in(corpus.texts))
        model_version = make_model_version(corpus.passage_ids, settings)
        started = time.perf_counter()
        model, topics, outliers, selection = _fit(corpus, settings)
        seconds = time.perf_counter() - started
        model_dir = (out_dir or topics_dir_for(Path(db_path).resolve())) / model_version
        _save_model(model, model_dir, settings, model_version, len(topics), selection)
        _store_fit(store, model, corpus, topics, settings, model_dir)
        files, notes = write_visualisations(model, store, model_dir.parent)
        if selection != CLUSTER_SELECTION:
            notes = [f"the first grouping put over {LUMPED_SHARE:.0%} of the passages it grouped into one topic, so "
                     "they were grouped again, into the smallest groups that hold together", *notes]
        return TopicModelInfo(
            model_version=model_version, model_dir=model_dir, passages=len(topics),
            topics=_topic_count(model), outliers_reassigned=outliers - topics.count(-1),
            unassigned=topics.count(-1), settings=settings, seconds=round(seconds, 2), files=files, notes=notes,
        )


def _read_corpus(store: Store, encoder: str | None) -> _Corpus:
    """All passages, sorted by id, with their embeddings (computing those not stored)."""
    with store.connect(read_only=True) as con:
        passage_ids, texts = _passages(con, _SELECT_PASSAGES)
        if len(passage_ids) < MIN_PASSAGES:
            raise CaseReviewError(
                f"too few passages to find topics ({len(passage_ids)}); add more reviews "
                f"(at least {MIN_PASSAGES} passages are needed)"
            )
        encoder = encoder or _default_encoder(con)
        embeddings, computed = _embeddings(con, passage_ids, texts, encoder)
    return _Corpus(passage_ids, texts, embeddings, encoder, computed)


def _store_fit(store: Store, model: BERTopic, corpus: _Corpus, topics: list[int], settings: TopicSettings,
               model_dir: Path) -> None:
    """Replace the rows of this model version (the folder's name) and cache new embeddings, in one transaction."""
    model_version = model_dir.name
    probabilities = _closeness(model, corpus.embeddings, topics)
    with store.connect() as con, _transaction(con):
        if corpus.computed:
            _insert_embeddings(con, corpus.computed, corpus.encoder)
        for sql in _DELETE_MODEL_ROWS:
            con.execute(sql, [model_version])
        con.execute(_INSERT_MODEL, [model_version, _utc_now(), corpus.encoder, settings.seed, settings.min_topic_size,
                                    len(topics), _topic_count(model), _stored_dir(model_dir, store.path)])
        con.execute(_INSERT_TOPICS, [*_topic_columns(model), model_version])
        con.execute(_INSERT_PASSAGE_TOPICS, [corpus.passage_ids, topics, probabilities, model_version])
        con.execute(_INSERT_REPRESENTATIVES, [model_version])


def make_model_version(passage_ids: Sequence[str], settings: TopicSettings) -> str:
    """``topics@`` and a hash of the corpus (its passage ids) and the settings.

    Parameters
    ----------
    passage_ids : sequence of str
        The passages fitted, in any order.
    settings : TopicSettings
        The settings used.
    """
    digest = hashlib.sha256(json.dumps(_hashed_settings(settings), sort_keys=True).encode())
    for passage_id in sorted(passage_ids):
        digest.update(passage_id.encode() + b"\n")
    return f"topics@{digest.hexdigest()[:12]}"


def _hashed_settings(settings: TopicSettings) -> dict[str, Any]:
    """The settings that make the model version: all of them, but ``min_samples`` only where it is not the min
    topic size (as it was for every fit before it was capped, whose model versions stay as they were)."""
    hashed = asdict(settings)
    if settings.min_samples == settings.min_topic_size:
        del hashed["min_samples"]
    return hashed


def default_min_topic_size(passages: int) -> int:
    """The smallest topic for a corpus of this many passages: one passage in 50, at least 5."""
    return max(5, passages // 50)


def _settings(
    passages: int, seed: int | None, min_topic_size: int | None, encoder: str, names: Sequence[str]
) -> TopicSettings:
    size = min_topic_size or default_min_topic_size(passages)
    if size < 2:
        raise CaseReviewError(f"the smallest topic must have at least 2 passages, not {size}")
    if size * 2 > passages:  # two topics at least, or nothing stands out (said at once, not after the clustering)
        raise CaseReviewError(f"--min-topic-size {size} leaves room for fewer than two topics in {passages} passages: "
                              f"give at most {passages // 2} (the default for them is "
                              f"{default_min_topic_size(passages)})")
    return TopicSettings(
        seed=seed, min_topic_size=size, min_samples=min(size, MAX_MIN_SAMPLES), n_neighbors=min(15, passages - 1),
        n_components=5, encoder=encoder,
        stop_words=tuple(sorted(set(BOILERPLATE_WORDS) | set(names))),
        libraries={name: version(name) for name in ("bertopic", "umap-learn", "hdbscan", "scikit-learn")},
    )


CLUSTER_SELECTION = "eom"  # HDBSCAN's usual choice: the clusters with the most excess of mass
LUMPED_SHARE = 0.5  # one topic holding more than this share of the grouped passages is a lump, not a topic


def lumped(topics: Sequence[int]) -> bool:
    """Whether one topic holds more than ``LUMPED_SHARE`` of the passages given a topic (outliers, -1, aside).

    Excess-of-mass selection is unstable on a small corpus: for some seeds it merges almost everything into
    one cluster (seen on the demo: 425 of 451 grouped passages in one topic, against about ten even topics
    for other seeds). A topic that covers most of the corpus tells a reader nothing.

    >>> lumped([0] * 9 + [1] * 2 + [-1] * 20), lumped([0, 0, 1, 1, 2, -1])
    (True, False)
    """
    grouped = [t for t in topics if t != -1]
    return bool(grouped) and max(Counter(grouped).values()) > LUMPED_SHARE * len(grouped)


# Ends each passage in the texts BERTopic counts terms in: it joins a topic's passages into one text, and the
# vectorizer (``_streaming_count_vectorizer``) counts each term once a passage, up to this mark.
PASSAGE_END = "\x1e"


def _marked(texts: Sequence[str]) -> list[str]:
    """The passages' texts as BERTopic is given them: each ended by ``PASSAGE_END``."""
    return [text.replace(PASSAGE_END, " ") + PASSAGE_END for text in texts]


def _fit(corpus: _Corpus, settings: TopicSettings) -> tuple[BERTopic, list[int], int, str]:
    """Fit BERTopic, give outliers their nearest topic, and label the topics.

    Returns the model, each passage's topic (in corpus order), how many passages HDBSCAN left out, and the
    cluster selection used: excess of mass, or leaf selection (the finest stable clusters) when excess of
    mass lumped most passages into one topic (:func:`lumped`).
    """
    selection = CLUSTER_SELECTION
    texts = _marked(corpus.texts)  # (the texts BERTopic counts terms in)
    reducer = _OnceReducer(_new_reducer(settings))  # the leaf refit clusters the same reduced points
    model, topics = _cluster(corpus, texts, settings, selection, reducer)
    if lumped(topics):
        selection = "leaf"
        del model  # its clusters and terms are of no use while the corpus is clustered again
        model, topics = _cluster(corpus, texts, settings, selection, reducer)
    reducer.release()
    with quiet_bertopic():
        if all(topic == -1 for topic in topics):
            raise CaseReviewError(
                f"no topics stand out among {len(topics)} passages (all were outliers): try a smaller "
                f"--min-topic-size than {settings.min_topic_size}, or add more reviews"
            )
        outliers = topics.count(-1)
        if outliers:
            topics = [int(t) for t in model.reduce_outliers(
                texts, topics, strategy="embeddings", embeddings=corpus.embeddings)]
        # BERTopic numbers topics by size before outliers join them, which changes the sizes: number them again,
        # largest first, so that topic 0 is the largest in every table, file and picture.
        numbers = largest_first(topics)
        if outliers or any(old != new for old, new in numbers.items()):
            topics = [numbers[topic] for topic in topics]
            model.topic_mapper_.add_mappings(numbers, topic_model=model)
            model.update_topics(texts, topics=topics, top_n_words=TOP_TERMS,
                                vectorizer_model=model.vectorizer_model, ctfidf_model=model.ctfidf_model)
    # update_topics leaves the old topic embeddings (with the outlier row) in place, so a saved model
    # would assign new passages to the wrong topic (BERTopic issues #1809, #2198): use the centroids.
    model.topic_embeddings_ = _centroids(topics, corpus.embeddings)
    model.set_topic_labels({topic: _label(model, topic) for topic in sorted(model.topic_sizes_)})
    return model, topics, outliers, selection


def largest_first(topics: Sequence[int]) -> dict[int, int]:
    """Each topic's new number: 0 for the topic with the most passages, then 1, ...; a tie keeps the order it had;
    -1 (no topic) stays -1.

    >>> largest_first([0, 1, 1, 2, 2, 2, -1])
    {2: 0, 1: 1, 0: 2, -1: -1}
    """
    sizes = Counter(topic for topic in topics if topic != -1)
    order = sorted(sizes, key=lambda topic: (-sizes[topic], topic))
    return {**{topic: number for number, topic in enumerate(order)}, **({-1: -1} if -1 in topics else {})}


def _cluster(corpus: _Corpus, texts: list[str], settings: TopicSettings, selection: str, reducer: Any = None
             ) -> tuple[BERTopic, list[int]]:
    """A new BERTopic model fitted to the corpus (its passages' ``texts`` as ``_marked`` gives them), and each
    passage's topic (-1: none)."""
    # made outside quiet_bertopic(): BERTopic() resets its log level
    model = _new_model(settings, selection, reducer)
    with quiet_bertopic():
        return model, [int(topic) for topic in model.fit_transform(texts, corpus.embeddings)[0]]


class _OnceReducer:
    """A dimensionality reducer for BERTopic that reduces a given set of points only once.

    ``fit_transform`` on the points it last reduced returns the same result without running UMAP again, so
    the leaf-selection refit costs only the clustering (UMAP is most of a fit's time). Being seeded, UMAP
    would give the same points again anyway. Other points are reduced afresh.
    """

    def __init__(self, reducer: Any) -> None:
        self.reducer = reducer
        self.fits = 0
        self._points: np.ndarray | None = None
        self._reduced: np.ndarray | None = None

    def fit_transform(self, points: np.ndarray, y: Any = None) -> np.ndarray:
        if self._points is None or not _same_points(self._points, points):
            self._reduced = self.reducer.fit_transform(points, y=y)
            self._points = points
            self.fits += 1
        return self._reduced

    def transform(self, points: np.ndarray) -> np.ndarray:
        if self._points is not None and _same_points(self._points, points):
            return self._reduced
        return self.reducer.transform(points)

    def release(self) -> None:
        """Let go of UMAP and what it reduced once clustering is done: its neighbour graph and search index grow
        with the corpus, and neither the saved model (which has no UMAP) nor the pictures use them."""
        self.reducer = self._points = self._reduced = None


def _same_points(a: np.ndarray, b: np.ndarray) -> bool:
    return a is b or (a.shape == b.shape and np.array_equal(a, b))


def _new_reducer(settings: TopicSettings) -> Any:
    from umap import UMAP

    return UMAP(n_neighbors=settings.n_neighbors, n_components=settings.n_components, min_dist=0.0,
                metric="cosine", random_state=settings.seed, n_jobs=1 if settings.seed is not None else -1)


def _new_model(settings: TopicSettings, selection: str = CLUSTER_SELECTION, reducer: Any = None) -> BERTopic:
    """A BERTopic model with the project's settings; ``reducer`` (default: a new seeded UMAP) reduces the
    embeddings before clustering."""
    from hdbscan import HDBSCAN
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    bertopic = _bertopic()
    umap_model = reducer if reducer is not None else _new_reducer(settings)
    # core_dist_n_jobs=1: above 16,384 passages HDBSCAN's default (4) finds each passage's nearest neighbours in
    # four worker processes, each with a copy of the data, and stacks their answers into a second copy of the
    # neighbour table; one process finds the same neighbours (below 16,384 passages it is the same code either
    # way). On 20,000 passages: 350 MB instead of 1.2 GB for the process and its workers, and 4 s instead of 26.
    # min_samples: see MAX_MIN_SAMPLES.
    cluster_model = HDBSCAN(min_cluster_size=settings.min_topic_size, min_samples=settings.min_samples,
                            metric="euclidean", cluster_selection_method=selection, prediction_data=False,
                            core_dist_n_jobs=1)
    vectorizer = _streaming_count_vectorizer()(stop_words=sorted(ENGLISH_STOP_WORDS | set(settings.stop_words)),
                                               ngram_range=settings.ngram_range, token_pattern=_TOKEN_PATTERN)
    # language=None: with "english" BERTopic deletes every character but A-Z, 0-9 and spaces before counting
    # words, so "they're" became the term "theyre" and "post-reunification" "postreunification". The
    # vectorizer's own word pattern splits words at punctuation instead. (No embedding model is chosen by
    # language: embeddings are always passed in.)
    ctfidf = bertopic.vectorizers.ClassTfidfTransformer(reduce_frequent_words=True)
    return bertopic.BERTopic(embedding_model=None, language=None, umap_model=umap_model, hdbscan_model=cluster_model,
                             vectorizer_model=vectorizer, ctfidf_model=ctfidf, top_n_words=TOP_TERMS,
                             calculate_probabilities=False, verbose=False)


@cache
def _streaming_count_vectorizer() -> type:
    """scikit-learn's CountVectorizer, but its word analyzer yields a document's terms one at a time, each once in
    each passage (the text up to a ``PASSAGE_END``).

    BERTopic counts the terms of each topic in one document, all the topic's passages joined. The stock analyzer
    makes lists of that document's words and two-word phrases first: about 4 KB a passage, so for a topic (or the
    outliers) of 100,000 passages some 400 MB, where counting them as they come needs memory for the distinct
    terms only. Counted as often as they occur, one passage that repeats a word named its topic: a table of a
    reviewer's answers ("Yes | Yes | ...", 8 times) made "yes" a term of a topic of 87 passages, 1 of which used it.
    Counted once a passage, a term weighs by how many of the topic's passages use it. Its settings are the stock
    ones: a saved model loads with a plain CountVectorizer.

    >>> analyzer = _streaming_count_vectorizer()(ngram_range=(1, 2)).build_analyzer()
    >>> list(analyzer("Yes yes no" + PASSAGE_END + " yes"))
    ['yes', 'no', 'yes yes', 'yes no', 'yes']
    """
    from sklearn.feature_extraction.text import CountVectorizer

    class StreamingCountVectorizer(CountVectorizer):
        def build_analyzer(self) -> Callable[[str], Iterator[str]]:
            preprocess = self.build_preprocessor()
            stop_words = self.get_stop_words() or frozenset()
            self._check_stop_words_consistency(stop_words, preprocess, self.build_tokenizer())
            pattern = re.compile(self.token_pattern)
            min_n, max_n = self.ngram_range

            def terms(doc: str) -> Iterator[str]:
                for passage in preprocess(self.decode(doc)).split(PASSAGE_END):
                    seen: set[str] = set()  # (one passage's distinct terms: a few hundred)
                    for n in range(min_n, max_n + 1):
                        window: deque[str] = deque(maxlen=n)
                        for match in pattern.finditer(passage):
                            word = match.group(pattern.groups)  # the one group if the pattern has one, as findall
                            if word not in stop_words:
                                window.append(word)
                                if len(window) == n:
                                    term = " ".join(window)
                                    if term not in seen:
                                        seen.add(term)
                                        yield term
            return terms

    return StreamingCountVectorizer


def _bertopic() -> ModuleType:
    """The ``bertopic`` package, imported without torch, transformers and sentence-transformers."""
    with imports_refused(*_NOT_NEEDED_BY_BERTOPIC):
        import bertopic
        import bertopic.vectorizers
    return bertopic


def _topic_count(model: BERTopic) -> int:
    """Topics found, the outlier topic -1 not counted."""
    return sum(1 for topic in model.topic_sizes_ if topic >= 0)


def _centroids(topics: Sequence[int], embeddings: np.ndarray) -> np.ndarray:
    """Mean embedding of each topic's passages, in topic order (-1 first when present), as BERTopic keeps them."""
    labels = np.asarray(topics)
    return np.stack([embeddings[labels == topic].mean(axis=0) for topic in sorted(set(topics))])


def _label(model: BERTopic, topic: int) -> str:
    if topic == -1:
        return OUTLIER_LABEL
    return readable_label(_terms(model, topic)) or f"topic {topic}"


def _terms(model: BERTopic, topic: int) -> list[str]:
    """The topic's terms, most characteristic first (words with no weight left out)."""
    return [word for word, weight in (model.get_topic(topic) or []) if word and weight > 0]


def _topic_columns(model: BERTopic) -> list[list[Any]]:
    topics = sorted(model.topic_sizes_)
    return [
        topics,
        [_label(model, topic) for topic in topics],
        [[] if topic == -1 else _terms(model, topic) for topic in topics],
        [int(model.topic_sizes_[topic]) for topic in topics],
    ]


def _closeness(model: BERTopic, embeddings: np.ndarray, topics: Sequence[int]) -> list[float]:
    """Cosine similarity of each passage to its topic's centroid, clipped to 0..1 (0 for topic -1).

    Computed ``_ROWS_AT_A_TIME`` passages at a time: each passage's centroid is copied beside its embedding, which
    for a whole corpus would be a second copy of all the embeddings. Each row's figure is computed alone, so the
    blocks give the same figures as one pass.
    """
    centroids = np.asarray(model.topic_embeddings_)  # one row per topic in id order, the outlier topic first
    labels = np.asarray(topics)
    rows = labels + (1 if -1 in model.topic_sizes_ else 0)
    similarity = np.empty(len(labels), dtype=np.result_type(embeddings, centroids))
    for start in range(0, len(labels), _ROWS_AT_A_TIME):
        block = slice(start, start + _ROWS_AT_A_TIME)
        chosen = centroids[rows[block]]
        norms = np.linalg.norm(embeddings[block], axis=1) * np.linalg.norm(chosen, axis=1)
        similarity[block] = np.einsum("ij,ij->i", embeddings[block], chosen) / np.where(norms == 0, 1, norms)
    similarity = np.where(labels == -1, 0.0, np.clip(similarity, 0.0, 1.0))
    return [round(float(value), 6) for value in similarity]


def _save_model(model: BERTopic, model_dir: Path, settings: TopicSettings, model_version: str,
                passages: int, selection: str = CLUSTER_SELECTION) -> None:
    """Save with safetensors (no pickle, no embedding model), plus the settings as JSON."""
    model_dir.mkdir(parents=True, exist_ok=True)
    with quiet_bertopic():
        model.save(model_dir, serialization="safetensors", save_ctfidf=True, save_embedding_model=False)
    record = {"model_version": model_version, "passages": passages, "fitted_at": _utc_now().isoformat(),
              **asdict(settings), "cluster_selection": selection}
    (model_dir / SETTINGS_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- assigning new passages


def assign_topics(db_path: Path, model_dir: Path | None = None) -> AssignInfo:
    """Give passages that have no topic yet (from reviews added since the fit) their nearest topic.

    The saved model is not changed: each new passage goes to the topic whose centroid its embedding is
    closest to (cosine similarity), which is how BERTopic assigns with a safetensors-saved model.

    Parameters
    ----------
    db_path : Path
        The casereview database.
    model_dir : Path, optional
        A saved model folder; default the newest fitted model recorded in the database.

    Returns
    -------
    AssignInfo
        The model version and how many passages were assigned.

    Examples
    --------
    After a run that added reviews (not run as a test; the count is the passages newly assigned):

    >>> assign_topics(Path("outputs/casereview.duckdb")).assigned  # doctest: +SKIP
    42
    """
    store = _open_store(db_path)
    with changing_the_database(db_path, "casereview topics assign", "place the passages it read in topics"):
        with store.connect(read_only=True) as con:
            model_dir = model_dir or _current_model_dir(con, db_path)
            settings = _read_settings(model_dir)
            model_version = settings["model_version"]
            recorded = con.execute("SELECT count(*) FROM topic_models WHERE model_version = ?",
                                   [model_version]).fetchone()[0] > 0
            passage_ids, texts = _passages(con, _SELECT_UNASSIGNED, [model_version])
            embeddings, computed = _embeddings(con, passage_ids, texts, settings["encoder"])
        model = _load_model(model_dir) if passage_ids or not recorded else None
        topics, probabilities = _assign_with(model, texts, embeddings) if passage_ids else ([], [])
        with store.connect() as con, _transaction(con):
            con.execute(_DELETE_STALE_ASSIGNMENTS, [model_version])
            if computed:
                _insert_embeddings(con, computed, settings["encoder"])
            if not recorded:  # a model fitted on another database: its topics, as fitted, recorded here
                con.execute(_INSERT_MODEL, [model_version, settings.get("fitted_at"), settings["encoder"],
                                            settings.get("seed"), settings.get("min_topic_size"),
                                            settings.get("passages"), _topic_count(model),
                                            _stored_dir(model_dir, store.path)])
                con.execute(_INSERT_TOPICS, [*_topic_columns(model), model_version])
            if topics:
                con.execute(_INSERT_PASSAGE_TOPICS, [passage_ids, topics, probabilities, model_version])
            if not recorded:
                con.execute(_INSERT_REPRESENTATIVES, [model_version])
            current = con.execute(_SELECT_CURRENT_MODEL).fetchone()[0]
        # the chart goes with the database's own pictures, never into another database's folder
        files, notes = (write_year_chart(store, topics_dir_for(Path(db_path).resolve()))
                        if passage_ids and current == model_version else ([], []))
        if current != model_version:
            notes = [*notes, f"{model_version} was fitted before {current}, the topic model this database shows "
                             f"(casereview topics show, v_topic_trends); its places are kept under its name in "
                             "passage_topics"]
        return AssignInfo(model_version, model_dir, len(passage_ids), files, notes)


def _open_store(db_path: Path) -> Store:
    if not Path(db_path).exists():
        raise CaseReviewError(no_database_message(db_path))
    return Store(db_path)


def _stored_dir(model_dir: Path, db_path: Path) -> str:
    """A topic model's folder as the database records it: from the database's own folder when inside it
    ("topics/topics@..."), so that a database copied or moved with its folder finds its own copy; else whole."""
    model_dir, home = Path(model_dir).resolve(), Path(db_path).resolve().parent
    return model_dir.relative_to(home).as_posix() if model_dir.is_relative_to(home) else str(model_dir)


def _current_model_dir(con: duckdb.DuckDBPyConnection, db_path: Path) -> Path:
    """The folder of the newest topic model: the one of its name in the database's topics folder beside it
    (``topics_dir_for``)
    when there is one (a database copied or moved with its folder uses its own copy, never the original's),
    else where the database says (relative to its folder, or a whole path for a model fitted with --out)."""
    row = con.execute(_SELECT_CURRENT_MODEL).fetchone()
    if row is None:
        raise CaseReviewError(f"no topic model yet: run `casereview topics fit{db_argument(db_path)}` first")
    version, stored = row
    home = Path(db_path).resolve().parent
    beside = topics_dir_for(Path(db_path).resolve()) / version
    if (beside / SETTINGS_FILE).is_file():
        return beside
    return home / stored  # (a whole path stays whole)


def _read_settings(model_dir: Path) -> dict[str, Any]:
    path = Path(model_dir) / SETTINGS_FILE
    if not path.is_file():
        raise CaseReviewError(
            f"{model_dir}: not a casereview topic model folder (no {SETTINGS_FILE}); run "
            "`casereview topics fit` to make one"
        )
    return json.loads(path.read_text(encoding="utf-8"))


def _load_model(model_dir: Path) -> BERTopic:
    # BERTopic.load reads a folder; any other path containing "/" it would try to download from the Hub.
    bertopic = _bertopic()
    with quiet_bertopic():
        return bertopic.BERTopic.load(str(Path(model_dir).resolve()))


def _assign_with(model: BERTopic, texts: list[str], embeddings: np.ndarray) -> tuple[list[int], list[float]]:
    """Each passage's topic under the saved model, and its closeness to that topic."""
    topics = _nearest_topics(model, texts, embeddings)
    return topics, _closeness(model, embeddings, topics)


def _nearest_topics(model: BERTopic, texts: list[str], embeddings: np.ndarray) -> list[int]:
    """BERTopic's transform (nearest topic embedding); passages nearest the outlier topic get the next best."""
    with quiet_bertopic():
        topics, _ = model.transform(texts, embeddings)
        topics = [int(topic) for topic in topics]
        if -1 in topics:
            topics = [int(t) for t in model.reduce_outliers(texts, topics, strategy="embeddings",
                                                            embeddings=embeddings)]
    return topics


# --------------------------------------------------------------------------- reading the database


def read_topics(db_path: Path) -> tuple[str, list[dict[str, Any]]]:
    """The newest model's version and its topics (``topic_id``, ``label``, ``terms``, ``size``).

    Parameters
    ----------
    db_path : Path
        The casereview database (it must exist).
    """
    with _open_store(db_path).connect(read_only=True) as con:
        row = con.execute(_SELECT_CURRENT_MODEL).fetchone()
        if row is None:
            raise CaseReviewError(f"no topics yet: run `casereview topics fit{db_argument(db_path)}` first")
        cursor = con.execute(_SELECT_TOPICS, [row[0]])
        names = [column[0] for column in cursor.description]
        return row[0], [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


_FRESHNESS = """
SELECT m.fitted_at, m.passages,
       (SELECT count(*) FROM passages) AS now,
       (SELECT count(*) FROM passages p WHERE NOT EXISTS (
            SELECT 1 FROM passage_topics t WHERE t.passage_id = p.passage_id AND t.model_version = m.model_version))
           AS unplaced,
       -- the fit's passages no longer placed (a removed review's placings go with it); a lower bound once
       -- `topics assign` has placed passages read since
       greatest(0, m.passages - (SELECT count(*) FROM passage_topics t JOIN passages p USING (passage_id)
                                 WHERE t.model_version = m.model_version)) AS gone
FROM topic_models m WHERE m.model_version = ?"""


def topics_freshness(db_path: Path, model_version: str) -> dict[str, Any]:
    """How the database has moved on since a topic model was fitted: ``fitted_at``, ``passages`` (fitted on),
    ``now`` (passages in the database), ``unplaced`` (passages in no topic of the model: reviews read since) and
    ``gone`` (passages it placed that are no longer there: reviews removed or read again)."""
    with _open_store(db_path).connect(read_only=True) as con:
        row = con.execute(_FRESHNESS, [model_version]).fetchone()
    return dict(zip(("fitted_at", "passages", "now", "unplaced", "gone"), row, strict=True)) if row else {}


def _passages(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
              ) -> tuple[list[str], list[str]]:
    rows = con.execute(sql, params or []).fetchall()
    return [row[0] for row in rows], [row[1] for row in rows]


def _default_encoder(con: duckdb.DuckDBPyConnection) -> str:
    """The encoder with stored embeddings for the most passages (on a tie, or when there are none, the default)."""
    row = con.execute(_SELECT_ENCODER, [DEFAULT_ENCODER]).fetchone()
    return DEFAULT_ENCODER if row is None else row[0]


def _embeddings(con: duckdb.DuckDBPyConnection, passage_ids: list[str], texts: list[str], encoder: str
                ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The passages' embeddings (rows in their order), and those that were not stored and had to be computed."""
    found = con.execute(_SELECT_VECTORS, [passage_ids, encoder]).fetchnumpy()
    by_id = dict(zip(found["passage_id"], found["vector"], strict=True))
    missing = [i for i, passage_id in enumerate(passage_ids) if passage_id not in by_id]
    computed: dict[str, np.ndarray] = {}
    if missing:
        vectors = _encode([texts[i] for i in missing], encoder, len(passage_ids))
        computed = dict(zip((passage_ids[i] for i in missing), vectors, strict=True))
        by_id.update(computed)
    if not passage_ids:
        return np.zeros((0, 0), dtype=np.float32), computed
    return np.stack([np.asarray(by_id[passage_id], dtype=np.float32) for passage_id in passage_ids]), computed


def _encode(texts: list[str], encoder_name: str, total: int) -> np.ndarray:
    """Embed passages that have no stored embedding, with the same encoder as the others."""
    try:
        encoder = load_encoder(encoder_name)
    except EncoderError as exc:
        raise CaseReviewError(
            f"{len(texts)} of {total} passages have no stored embedding from the encoder '{encoder_name}', and "
            f"it cannot be loaded here ({exc}): run `casereview run` with the theme model (it stores an "
            "embedding for every passage), then try again"
        ) from None
    return np.asarray(encoder.encode(texts), dtype=np.float32)


# --------------------------------------------------------------------------- pictures


# --------------------------------------------------------------------------- small helpers


@contextmanager
def quiet_bertopic() -> Iterator[None]:
    """Hide warnings about choices made here on purpose (no embedding model saved, custom topics, a seed)."""
    logger = logging.getLogger("BERTopic")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            # UMAP's notes on its own settings (n_jobs with a seed, tiny inputs): nothing a user can act on.
            warnings.filterwarnings("ignore", category=UserWarning, module=r"umap\.")
            yield
    finally:
        logger.setLevel(level)
