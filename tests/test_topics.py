"""Tests for topics: reproducible fits, assigning new reviews without refitting, the CLI and the pictures.

The corpus is our own: passages made from templates about four clearly different subjects (home conditions,
school attendance, hospital injuries, online contact), with synthetic embeddings that carry the subject
(a seeded centroid per subject plus noise), written through ``Store.write_review`` into a real DuckDB file.
BERTopic is imported once per test session (about 12 s) and the first UMAP fit compiles (about 20 s).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import asdict, replace
from pathlib import Path

import duckdb
import numpy as np
import pytest
from click.testing import CliRunner

from pipeline import topics as topics_module
from pipeline.cli import main
from pipeline.embed import DEFAULT_ENCODER, load_encoder
from pipeline.errors import CaseReviewError
from pipeline.manifest import ManifestEntry
from pipeline.records import PageInfo, Passage, ThemeTag
from pipeline.store import ReviewResult, Store
from pipeline.topic_charts import MAP_HTML, TERMS_HTML, YEARS_HTML
from pipeline.topic_labels import readable_label
from pipeline.topics import assign_topics, default_min_topic_size, fit_topics

ENCODER = "test-encoder"
DIMENSIONS = 32
SUBJECTS: dict[str, dict[str, list[str]]] = {
    "home": {
        "template": ["The home was {a} and there was {b} in the {c}.", "The health visitor saw {b} in the {c}.",
                     "Home conditions were {a}; {b} had built up over weeks."],
        "a": ["dirty", "cluttered", "cold", "unsafe", "damp", "squalid"],
        "b": ["rubbish", "black mould", "dog mess", "broken glass", "rotting food", "soiled nappies"],
        "c": ["kitchen", "bedroom", "bathroom", "hallway", "living room"],
        "theme": ["neglect"],
    },
    "school": {
        "template": ["Attendance at {c} fell to {a} and the {b} wrote to the parents.",
                     "The {b} at {c} recorded unexplained absence and lateness of {a}.",
                     "Absence from {c} was {a}; the {b} asked for an attendance meeting."],
        "a": ["sixty percent", "half of sessions", "two days a week", "most mornings", "one term in three"],
        "b": ["head teacher", "attendance officer", "class teacher", "designated lead", "school nurse"],
        "c": ["primary school", "the academy", "secondary school", "the nursery", "the pupil referral unit"],
        "theme": ["education"],
    },
    "hospital": {
        "template": ["The baby's {b} showed {a} when she was brought to {c}.",
                     "At {c} a skeletal survey of the baby's {b} showed {a}.",
                     "The paediatrician's x-ray at {c} found {a} on the {b} that had no explanation."],
        "a": ["bruising", "a fracture", "a burn", "swelling", "a bleed"],
        "b": ["ribs", "arm", "skull", "leg", "face", "ear"],
        "c": ["the emergency department", "the minor injuries unit", "the children's ward", "the hospital"],
        "theme": ["physical_abuse"],
    },
    "online": {
        "template": ["The girl was messaged by an adult on {c} who sent {a} and asked for {b}.",
                     "Police found {b} shared through {c}, and {a} from an unknown account.",
                     "Online contact through {c} began with {a}; later the man asked for {b}."],
        "a": ["gifts", "compliments", "money", "threats", "friend requests"],
        "b": ["photographs", "a meeting", "her address", "explicit images", "secrecy"],
        "c": ["social media", "a gaming chat", "a messaging app", "a video platform"],
        "theme": ["exploitation"],
    },
}
REVIEWS = [(f"testshire-{year}-child-{letter}", year) for year, letter in
           [(2019, "a"), (2019, "b"), (2020, "c"), (2020, "d"), (2021, "e"), (2021, "f"), (2022, "g"), (2022, "h")]]
PASSAGES_PER_REVIEW = 24  # 8 reviews x 24 = 192 passages, 48 per subject
CDN_SCRIPT = re.compile(r"<script[^>]*\bsrc=[\"']?(https?:)?//", re.IGNORECASE)


# --------------------------------------------------------------------------- building the corpus


def centroids() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    return {subject: rng.normal(size=DIMENSIONS) for subject in SUBJECTS}


def passage_text(subject: str, rng: np.random.Generator) -> str:
    words = SUBJECTS[subject]
    sentences = []
    for template in rng.choice(words["template"], size=2, replace=False):
        sentences.append(template.format(**{key: rng.choice(words[key]) for key in "abc"}))
    return " ".join(sentences)


def review_result(review_id: str, year: int, subjects: list[str], seed: int, embed: bool = True) -> ReviewResult:
    """A processed review whose passages follow ``subjects``, with themes and embeddings for each passage."""
    rng = np.random.default_rng(seed)
    centre = centroids()
    entry = ManifestEntry(review_id=review_id, title=f"Review {review_id}", area="Testshire", nation="England",
                          review_type="CSPR", year=year, published=datetime.date(year, 6, 1),
                          source=f"demo/{review_id}.pdf", sha256=None, notes=None, line=2)
    passages, themes, embeddings = [], [], {}
    for seq, subject in enumerate(subjects, start=1):
        text = passage_text(subject, rng)
        passage_id = hashlib.sha256(f"{review_id}\n{seq}\n{text}".encode()).hexdigest()[:16]
        passages.append(Passage(passage_id=passage_id, review_id=review_id, seq=seq, text=text, page_start=seq,
                                page_end=seq, section="Practice episodes", char_start=0, char_end=len(text)))
        themes += [ThemeTag(passage_id, theme, 0.9, "themes-test") for theme in SUBJECTS[subject]["theme"]]
        embeddings[passage_id] = (centre[subject] + rng.normal(scale=0.5, size=DIMENSIONS)).tolist()
    return ReviewResult(entry=entry, status="ok", sha256="a" * 64, pages=[PageInfo(1, 1000, False)],
                        passages=passages, themes=themes, embeddings=embeddings if embed else None,
                        embedding_model=ENCODER if embed else None)


def build_db(path: Path, reviews: list[tuple[str, int]], per_review: int = PASSAGES_PER_REVIEW,
             embed: bool = True) -> Path:
    store = Store(path)
    run_id = store.start_run(Path("manifest.csv"), "0" * 64)
    for number, (review_id, year) in enumerate(reviews):
        subjects = [list(SUBJECTS)[(number + i) % len(SUBJECTS)] for i in range(per_review)]
        store.write_review(run_id, review_result(review_id, year, subjects, seed=number, embed=embed), seconds=1.0)
    store.finish_run(run_id)
    return path


def subject_of(text: str) -> str:
    return next(s for s, words in SUBJECTS.items() if any(c in text for c in words["c"]))


def rows(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def fitted_state(db: Path, model_version: str) -> dict[str, list[tuple]]:
    return {
        "topics": rows(db, "SELECT topic_id, label, terms, size FROM topics WHERE model_version = ? ORDER BY 1",
                       [model_version]),
        "passages": rows(db, "SELECT passage_id, topic_id, probability FROM passage_topics "
                             "WHERE model_version = ? ORDER BY 1", [model_version]),
        "representatives": rows(db, "SELECT topic_id, rank, passage_id FROM topic_representatives "
                                    "WHERE model_version = ? ORDER BY 1, 2", [model_version]),
    }


class LeavesOutEveryTenth:
    """HDBSCAN, but every tenth passage is left out as an outlier (real corpora have many, these blobs none)."""

    def __init__(self, cluster_model) -> None:
        self.cluster_model = cluster_model

    def fit(self, points: np.ndarray, y=None) -> LeavesOutEveryTenth:
        self.labels_ = self.cluster_model.fit(points).labels_.copy()
        self.labels_[::10] = -1
        return self


def folder_digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def fit_with_clustering(tmp_path: Path, monkeypatch, fitted: dict, wrap, reducers: list | None = None
                        ) -> tuple[Path, object]:
    """Fit a copy of the shared corpus with HDBSCAN replaced by ``wrap(hdbscan_model, selection)``; each
    model's dimensionality reducer is appended to ``reducers``."""
    make_model = topics_module._new_model

    def wrapped(settings, selection=topics_module.CLUSTER_SELECTION, reducer=None):
        model = make_model(settings, selection, reducer)
        model.hdbscan_model = wrap(model.hdbscan_model, selection)
        if reducers is not None:
            reducers.append(model.umap_model)
        return model

    monkeypatch.setattr(topics_module, "_new_model", wrapped)
    db = tmp_path / "copy.duckdb"
    shutil.copy(fitted["db"], db)
    return db, fit_topics(db, out_dir=tmp_path / "topics")


@pytest.fixture(scope="module")
def fitted(tmp_path_factory) -> dict:
    """One corpus fitted twice with the same seed (into two output folders), shared by the slow tests."""
    folder = tmp_path_factory.mktemp("topics")
    db = build_db(folder / "casereview.duckdb", REVIEWS)
    first = fit_topics(db, seed=42, out_dir=folder / "first")
    first_state = fitted_state(db, first.model_version)
    second = fit_topics(db, seed=42, out_dir=folder / "second")
    return {"db": db, "folder": folder, "first": first, "first_state": first_state, "second": second}


# --------------------------------------------------------------------------- fast tests


def test_a_smallest_topic_too_large_for_two_topics_is_refused_at_once():
    # 1,000 on 613 passages clustered for half a minute before saying no topic stood out
    with pytest.raises(CaseReviewError, match=r"--min-topic-size 1000 leaves room for fewer than two topics in 613 "
                                              r"passages: give at most 306 \(the default for them is 12\)"):
        topics_module._settings(613, 42, 1000, ENCODER, [])


def test_readable_label_joins_terms_and_lets_a_phrase_replace_its_words():
    assert readable_label(["neglect", "home", "home conditions", "conditions", "hygiene"]) == (
        "neglect · home conditions · hygiene")
    assert readable_label(["school", "attendance", "school attendance", "absence"]) == (
        "school attendance · absence")
    assert readable_label([]) == ""


def test_a_label_names_what_a_topic_is_about_before_everyday_words():
    # Labels of the demo's topics read "assessment · drinking · did" and, for a topic of quotes,
    # "think · just · really": words every kind of passage uses say nothing of what a topic is about.
    assert readable_label(["assessment", "drinking", "did", "family", "use"]) == "assessment · drinking · family"
    assert readable_label(["think", "just", "really", "mum", "scared"]) == "mum · scared · think"
    assert readable_label(["told", "asked", "said", "wanted", "did", "know"]) == "told · asked · wanted"
    assert readable_label(["did", "know", "said"]) == "did · know · said"  # nothing else to name


def test_default_min_topic_size_grows_with_the_corpus():
    assert default_min_topic_size(40) == 5
    assert default_min_topic_size(1000) == 20


def test_hdbscan_counts_at_most_max_min_samples_neighbours_so_its_memory_grows_with_the_corpus_only():
    # HDBSCAN's neighbour table holds passages x (min_samples + 1) entries; min_samples was the min topic size, a
    # fiftieth of the corpus by default, so the table grew with the square of the corpus (3.2 GB at 100,000).
    cap = topics_module.MAX_MIN_SAMPLES
    large = topics_module._settings(100_000, 42, None, ENCODER, [])
    assert (large.min_topic_size, large.min_samples) == (2000, cap)
    clustering = topics_module._new_model(large).hdbscan_model
    assert (clustering.min_cluster_size, clustering.min_samples) == (2000, cap)
    chosen = topics_module._settings(613, 42, cap + 50, ENCODER, [])  # --min-topic-size above the cap
    assert (chosen.min_topic_size, chosen.min_samples) == (cap + 50, cap)
    # below the cap HDBSCAN is built as before: min_samples is the min topic size (the demo's is 12)
    small = topics_module._settings(613, 42, None, ENCODER, [])
    clustering = topics_module._new_model(small).hdbscan_model
    assert (clustering.min_cluster_size, clustering.min_samples) == (12, 12)


def test_a_fit_below_the_cap_keeps_the_model_version_it_had_before_the_cap():
    # the model version hashed every setting; min_samples joins them only where the cap changed it, so fits of
    # corpora that cluster as before keep their versions (the demo's is topics@d1ee11eb341c)
    passage_ids = [f"p{number}" for number in range(613)]

    def version_before_the_cap(settings):
        hashed = {name: value for name, value in asdict(settings).items() if name != "min_samples"}
        digest = hashlib.sha256(json.dumps(hashed, sort_keys=True).encode())
        for passage_id in sorted(passage_ids):
            digest.update(passage_id.encode() + b"\n")
        return f"topics@{digest.hexdigest()[:12]}"

    small = topics_module._settings(613, 42, None, ENCODER, [])
    assert topics_module.make_model_version(passage_ids, small) == version_before_the_cap(small)
    capped = topics_module._settings(613, 42, 150, ENCODER, [])
    assert capped.min_samples != capped.min_topic_size
    assert topics_module.make_model_version(passage_ids, capped) != version_before_the_cap(capped)
    assert topics_module.make_model_version(passage_ids, capped) != topics_module.make_model_version(
        passage_ids, replace(capped, min_samples=capped.min_topic_size))


def test_topic_terms_are_counted_once_a_passage_as_they_come():
    # BERTopic counts each topic's terms in one document (its passages joined): the project's vectorizer yields
    # the terms one at a time instead of listing them first, and counts each once in each passage, so that a
    # passage repeating a word cannot name its topic: the counts are the stock vectorizer's, each passage's
    # counted as present or not ("binary"), summed over the topic.
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

    rng = np.random.default_rng(3)
    topics = [[passage_text(subject, rng) for _ in range(30)] for subject in SUBJECTS]
    topics[0][0] += " yes yes yes yes yes yes yes yes"  # one passage of a table of answers
    settings = {"stop_words": sorted(ENGLISH_STOP_WORDS | set(topics_module.BOILERPLATE_WORDS)),
                "ngram_range": (1, 2), "token_pattern": topics_module._TOKEN_PATTERN}
    stock, streamed = CountVectorizer(binary=True, **settings), topics_module._streaming_count_vectorizer()(**settings)
    counted = streamed.fit_transform([" ".join(topics_module._marked(passages)) for passages in topics]).toarray()
    stock.fit([passage for passages in topics for passage in passages])
    assert streamed.vocabulary_ == stock.vocabulary_
    expected = np.vstack([stock.transform(passages).sum(axis=0) for passages in topics])
    assert np.array_equal(counted, expected)
    assert counted[0, streamed.vocabulary_["yes"]] == 1
    assert streamed.get_params() == CountVectorizer(**settings).get_params()  # a saved model loads with the stock one


def test_bertopic_is_imported_without_torch_which_stays_importable(tmp_path: Path):
    # torch, transformers and sentence-transformers cost about 350 MB and are not used by the topics
    script = ("import sys; from pipeline.topics import _bertopic; _bertopic(); "
              "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules)); "
              "import torch; print('torch', bool(torch.__version__))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False,
                            cwd=Path(__file__).resolve().parent.parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["[]", "torch True"]


def test_a_refused_import_is_refused_only_where_it_is_not_imported_already():
    import json as already  # imported: its parts still import inside

    from pipeline.settings import imports_refused

    with imports_refused("json", "casereview_no_such_module"):
        import json.tool  # noqa: F401
        with pytest.raises(ModuleNotFoundError, match="not imported on purpose"):
            import casereview_no_such_module  # noqa: F401
    assert already.tool


def test_too_few_passages_gives_a_clear_message(tmp_path: Path):
    db = build_db(tmp_path / "small.duckdb", REVIEWS[:1], per_review=12)
    with pytest.raises(CaseReviewError, match=r"too few passages to find topics \(12\); add more reviews"):
        fit_topics(db, out_dir=tmp_path / "topics")
    assert rows(db, "SELECT count(*) FROM topics") == [(0,)]


def test_a_passage_whose_encoder_cannot_be_loaded_gives_a_clear_message(tmp_path: Path):
    db = build_db(tmp_path / "casereview.duckdb", REVIEWS)
    store = Store(db)
    run_id = store.start_run(Path("manifest.csv"), "1" * 64)
    store.write_review(run_id, review_result("testshire-2023-child-i", 2023, ["home"] * 3, seed=5, embed=False),
                       seconds=1.0)
    with pytest.raises(CaseReviewError, match=r"3 of 195 passages have no stored embedding from the encoder "
                                              r"'test-encoder'.*run `casereview run` with the theme model"):
        fit_topics(db, out_dir=tmp_path / "topics")


def test_topics_help_speaks_to_people_and_gives_examples():
    runner = CliRunner()
    for command in (["--help"], ["fit", "--help"], ["show", "--help"], ["assign", "--help"]):
        result = runner.invoke(main, ["topics", *command])
        assert result.exit_code == 0, result.output
        assert "casereview topics" in result.output


def test_the_same_topic_chart_gives_the_same_page_byte_for_byte(tmp_path: Path):
    import plotly.graph_objects as go

    from pipeline.topic_charts import _write_html

    figure = go.Figure()
    figure.add_bar(x=[2019, 2020], y=[0.4, 0.6], name="0: attendance · absence · school")
    first = _write_html(figure, tmp_path / "first" / YEARS_HTML)
    second = _write_html(figure, tmp_path / "second" / YEARS_HTML)
    assert first.read_bytes() == second.read_bytes()


def test_fit_says_what_share_of_the_passages_were_given_their_nearest_topic(tmp_path: Path):
    from pipeline.commands.topics import fit_summary
    from pipeline.topics import TopicModelInfo, _settings

    info = TopicModelInfo(model_version="topics@abc", model_dir=tmp_path / "topics@abc", passages=613, topics=10,
                          outliers_reassigned=396, unassigned=0, seconds=2.5,
                          settings=_settings(613, 42, None, ENCODER, []))
    assert fit_summary(info) == [
        "Topic model topics@abc: 10 topics in 613 passages (topics of at least 12 passages, seed 42, 2.5 s)",
        "  396 of the 613 passages (65%) fitted no topic well and were given the nearest one",
        f"  model saved in {tmp_path / 'topics@abc'}",
    ]
    # HDBSCAN's min_samples is named only where the cap made it differ from the min topic size
    capped = replace(info, settings=_settings(613, 42, 150, ENCODER, []))
    assert fit_summary(capped)[0] == ("Topic model topics@abc: 10 topics in 613 passages (topics of at least 150 "
                                      "passages, density judged on 100 neighbours, seed 42, 2.5 s)")


def test_topics_commands_explain_what_to_do_first(tmp_path: Path):
    runner = CliRunner()
    missing = runner.invoke(main, ["topics", "show", "--db", str(tmp_path / "none.duckdb")])
    assert missing.exit_code == 2 and "no database there" in missing.output
    made = f"to make it, run `casereview run --manifest YOUR_MANIFEST.csv --db {tmp_path / 'none.duckdb'}`"
    assert made in " ".join(missing.output.split())
    db = build_db(tmp_path / "small.duckdb", REVIEWS[:1], per_review=12)
    few = runner.invoke(main, ["topics", "fit", "--db", str(db)])
    assert few.exit_code == 2
    assert "Error: too few passages to find topics (12); add more reviews" in few.output
    unfitted = runner.invoke(main, ["topics", "assign", "--db", str(db)])
    assert unfitted.exit_code == 2  # the command to run names the database it was asked about
    assert f"no topic model yet: run `casereview topics fit --db {db}` first" in " ".join(unfitted.output.split())


# --------------------------------------------------------------------------- fitting (slow)


@pytest.mark.slow
def test_topics_follow_the_subjects(fitted: dict):
    info, db = fitted["first"], fitted["db"]
    assert info.topics == len(SUBJECTS)
    assert info.passages == len(REVIEWS) * PASSAGES_PER_REVIEW
    assigned = rows(db, "SELECT p.text, t.topic_id FROM passage_topics t JOIN passages p USING (passage_id) "
                        "WHERE t.model_version = ?", [info.model_version])
    by_topic: dict[int, Counter] = {}
    for text, topic in assigned:
        by_topic.setdefault(topic, Counter())[subject_of(text)] += 1
    assert sorted(max(c, key=c.get) for c in by_topic.values()) == sorted(SUBJECTS)
    labels = [label for (label,) in rows(db, "SELECT label FROM topics WHERE model_version = ?",
                                         [info.model_version])]
    assert all(" · " in label and "_" not in label for label in labels)
    assert not any(word in " ".join(labels).split() for word in ("child", "review", "testshire"))
    assert rows(db, "SELECT count(*) FROM topic_representatives WHERE model_version = ?",
                [info.model_version]) == [(3 * info.topics,)]


@pytest.mark.slow
def test_topic_terms_are_words_of_the_passages(fitted: dict):
    # Terms are counted on the words as written: "the baby's x-ray" gives "baby" and "ray", never the
    # non-words "babys" and "xray" that deleting the apostrophe and hyphen would make.
    db, version = fitted["db"], fitted["first"].model_version
    words = {w for (text,) in rows(db, "SELECT text FROM passages") for w in re.findall(r"[^\W\d_]+", text.lower())}
    terms = [term for (terms,) in rows(db, "SELECT terms FROM topics WHERE model_version = ?", [version])
             for term in terms]
    assert terms
    assert not [t for t in terms if not set(t.split()) <= words]


@pytest.mark.slow
def test_two_fits_with_the_same_seed_give_identical_topics(fitted: dict):
    first, second = fitted["first"], fitted["second"]
    assert first.model_version == second.model_version
    assert fitted["first_state"] == fitted_state(fitted["db"], second.model_version)
    assert rows(fitted["db"], "SELECT count(*) FROM topic_models") == [(1,)]
    first_files = json.loads((first.model_dir / "topics.json").read_text())
    second_files = json.loads((second.model_dir / "topics.json").read_text())
    assert first_files["topics"] == second_files["topics"]
    assert first_files["topic_representations"] == second_files["topic_representations"]


@pytest.mark.slow
def test_the_model_is_saved_with_safetensors_and_its_settings(fitted: dict):
    model_dir = fitted["first"].model_dir
    names = {p.name for p in model_dir.iterdir()}
    assert {"topic_embeddings.safetensors", "ctfidf.safetensors", "config.json", "settings.json"} <= names
    assert not any(name.endswith((".pickle", ".pkl", ".bin")) for name in names)
    settings = json.loads((model_dir / "settings.json").read_text())
    assert settings["model_version"] == fitted["first"].model_version
    assert (settings["seed"], settings["encoder"], settings["min_topic_size"]) == (42, ENCODER, 5)


@pytest.mark.slow
def test_views_give_shares_by_year_and_themes_by_topic(fitted: dict):
    db = fitted["db"]
    trends = rows(db, "SELECT year, sum(passages), sum(share) FROM v_topic_trends GROUP BY year ORDER BY year")
    assert [(year, passages) for year, passages, _ in trends] == [(2019, 48), (2020, 48), (2021, 48), (2022, 48)]
    assert all(share == pytest.approx(1.0) for _, _, share in trends)
    themes = rows(db, "SELECT topic_id, theme, share_of_topic FROM v_topic_themes ORDER BY topic_id, passages DESC")
    best = {topic: theme for topic, theme, _ in reversed(themes)}
    assert sorted(best.values()) == sorted(words["theme"][0] for words in SUBJECTS.values())


@pytest.mark.slow
def test_pictures_are_written_and_open_offline(fitted: dict):
    info = fitted["second"]
    assert sorted(p.name for p in info.files) == sorted([MAP_HTML, TERMS_HTML, YEARS_HTML])
    for path in info.files:
        page = path.read_text(encoding="utf-8")
        assert path.parent == fitted["folder"] / "second"
        assert "plotly" in page.lower() and len(page) > 1_000_000  # plotly.js is inside the page
        assert not CDN_SCRIPT.search(page), f"{path.name} loads a script from the network"
        # what it was made from is under its title: a page saved or sent on can be told from another fit's
        assert f"topic model {info.model_version} (seed 42, found in {info.passages} passages)" in page, path.name
        # the same topics give the same pages, byte for byte, as the first fit wrote them
        assert path.read_bytes() == (fitted["folder"] / "first" / path.name).read_bytes(), path.name
    # the shares of each year say how many reviews they rest on, and mark the years of too few to trust
    years = (fitted["folder"] / "second" / YEARS_HTML).read_text(encoding="utf-8")
    assert re.search(r"2019\*(<br>|\\u003cbr\\u003e)2 reviews", years) and "fewer than 5 reviews that year" in years


@pytest.mark.slow
def test_show_json_prints_one_line_per_topic(fitted: dict):
    result = CliRunner().invoke(main, ["topics", "show", "--json", "--db", str(fitted["db"])])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines()]
    assert len(records) == fitted["first"].topics
    for record in records:
        assert list(record) == ["topic_id", "label", "terms", "size"]
        assert isinstance(record["terms"], list) and record["terms"]
    assert sum(r["size"] for r in records) == fitted["first"].passages
    table = CliRunner().invoke(main, ["topics", "show", "--db", str(fitted["db"])])
    assert table.exit_code == 0 and "top terms" in table.output


@pytest.mark.slow
def test_show_says_when_the_database_has_moved_on_since_the_fit(fitted: dict, tmp_path: Path):
    db = tmp_path / "copy.duckdb"
    shutil.copy(fitted["db"], db)
    fresh = CliRunner().invoke(main, ["topics", "show", "--db", str(db)])
    assert fresh.exit_code == 0 and "Note:" not in fresh.output
    store = Store(db)
    removed = rows(db, "SELECT review_id, count(*) FROM passages GROUP BY 1 ORDER BY 1 LIMIT 1")[0]
    store.remove_reviews([removed[0]])
    run_id = store.start_run(Path("manifest.csv"), "1" * 64)
    store.write_review(run_id, review_result("testshire-2024-child-k", 2024, list(SUBJECTS)[:2], seed=3), 1.0)
    moved = CliRunner().invoke(main, ["topics", "show", "--db", str(db)])
    assert moved.exit_code == 0, moved.output
    assert "2 passages have been read that are in no topic yet (`casereview topics assign --db" in moved.output
    assert f"at least {removed[1]} of them have gone from the database" in moved.output
    assert f"casereview topics fit --db {db}" in moved.output


@pytest.mark.slow
def test_a_removed_review_leaves_no_typical_passage_behind(fitted: dict, tmp_path: Path):
    # `remove` took a review's passages, topics and embeddings, but its passages stayed listed as topics'
    # typical passages, pointing at nothing
    db = tmp_path / "copy.duckdb"
    shutil.copy(fitted["db"], db)
    shown = ("SELECT p.review_id, count(*) FROM topic_representatives t JOIN passages p USING (passage_id) "
             "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1")
    review_id, typical = rows(db, shown)[0]
    assert typical > 0
    Store(db).remove_reviews([review_id])
    assert rows(db, "SELECT count(*) FROM topic_representatives t WHERE NOT EXISTS "
                    "(SELECT 1 FROM passages p WHERE p.passage_id = t.passage_id)") == [(0,)]


@pytest.mark.slow
def test_a_new_review_is_assigned_topics_without_refitting(fitted: dict, tmp_path: Path):
    db = tmp_path / "copy.duckdb"
    shutil.copy(fitted["db"], db)
    info = fitted["second"]
    before_files = folder_digest(info.model_dir)
    before = fitted_state(db, info.model_version)
    subjects = [list(SUBJECTS)[i % len(SUBJECTS)] for i in range(12)]
    store = Store(db)
    run_id = store.start_run(Path("manifest.csv"), "1" * 64)
    store.write_review(run_id, review_result("testshire-2023-child-i", 2023, subjects, seed=99), seconds=1.0)

    result = CliRunner().invoke(main, ["topics", "assign", "--db", str(db), "--model", str(info.model_dir)])

    assert result.exit_code == 0, result.output
    assert "12 new passages placed in topics" in result.output
    assert folder_digest(info.model_dir) == before_files
    after = fitted_state(db, info.model_version)
    assert after["topics"] == before["topics"] and after["representatives"] == before["representatives"]
    assert set(before["passages"]) <= set(after["passages"])
    topic_of_subject = {}
    for text, topic in rows(db, "SELECT p.text, t.topic_id FROM passage_topics t JOIN passages p USING "
                                "(passage_id) WHERE p.review_id <> 'testshire-2023-child-i'"):
        topic_of_subject.setdefault(subject_of(text), Counter())[topic] += 1
    new = rows(db, "SELECT p.text, t.topic_id, t.probability FROM passage_topics t JOIN passages p USING "
                   "(passage_id) WHERE p.review_id = 'testshire-2023-child-i'")
    assert len(new) == 12
    for text, topic, probability in new:
        assert topic == topic_of_subject[subject_of(text)].most_common(1)[0][0]
        assert 0.5 < probability <= 1.0
    again = assign_topics(db, info.model_dir)
    assert again.assigned == 0


@pytest.mark.slow
def test_another_databases_topic_model_is_recorded_where_it_assigns_and_its_folder_left_alone(
        fitted: dict, tmp_path: Path):
    # docs/topics.md: to reproduce a fit elsewhere, keep its model folder and assign new passages to it. The
    # places were written with no record of the model's topics, so nothing showed them, and the chart of the
    # database's own topics was drawn into the other database's folder.
    info = fitted["second"]
    original = folder_digest(info.model_dir.parent)
    db = build_db(tmp_path / "elsewhere.duckdb", REVIEWS[:4])
    result = CliRunner().invoke(main, ["topics", "assign", "--db", str(db), "--model", str(info.model_dir)])
    assert result.exit_code == 0, result.output
    placed = rows(db, "SELECT count(*) FROM passage_topics WHERE model_version = ?", [info.model_version])[0][0]
    assert placed == rows(db, "SELECT count(*) FROM passages")[0][0] > 0
    assert rows(db, "SELECT topic_id, label, terms FROM topics ORDER BY topic_id") == rows(
        fitted["db"], "SELECT topic_id, label, terms FROM topics WHERE model_version = ? ORDER BY topic_id",
        [info.model_version])
    assert rows(db, "SELECT count(*) FROM v_topic_trends")[0][0] > 0
    shown = CliRunner().invoke(main, ["topics", "show", "--db", str(db)])
    assert shown.exit_code == 0 and info.model_version in shown.output, shown.output
    assert folder_digest(info.model_dir.parent) == original  # its pictures are as they were
    assert (tmp_path / "elsewhere-topics" / "topics_by_year.html").is_file()


@pytest.mark.slow
def test_a_copied_database_assigns_with_its_own_topic_model_and_never_writes_into_the_original(
        fitted: dict, tmp_path: Path):
    # a database copied with its folder (as people copy outputs/) must use its own copy of the topic model, and
    # write its pictures beside itself, even when the original is moved away
    info = fitted["second"]
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy(fitted["db"], copy / "casereview.duckdb")
    shutil.copytree(info.model_dir.parent, copy / "second")
    (copy / "topics").mkdir()  # the topics/ folder beside a database, as a fit without --out fills it
    shutil.copytree(info.model_dir, copy / "topics" / info.model_version)
    original = folder_digest(info.model_dir.parent)
    store = Store(copy / "casereview.duckdb")
    run_id = store.start_run(Path("manifest.csv"), "1" * 64)
    store.write_review(run_id, review_result("testshire-2024-child-j", 2024, list(SUBJECTS)[:3], seed=7), 1.0)
    result = CliRunner().invoke(main, ["topics", "assign", "--db", str(copy / "casereview.duckdb")])
    assert result.exit_code == 0, result.output
    assert "3 new passages placed in topics" in result.output
    assert str(copy / "topics") in result.output and str(fitted["folder"]) not in result.output
    assert folder_digest(info.model_dir.parent) == original  # the original's pictures are as they were
    with duckdb.connect(str(fitted["db"]), read_only=True) as con:  # recorded from the database's own folder
        assert con.execute("SELECT model_dir FROM topic_models WHERE model_version = ?",
                           [info.model_version]).fetchone()[0] == f"second/{info.model_version}"


@pytest.mark.slow
def test_outliers_get_the_nearest_topic_and_the_saved_model_agrees(tmp_path: Path, monkeypatch, fitted: dict):
    db, info = fit_with_clustering(tmp_path, monkeypatch, fitted, lambda model, _: LeavesOutEveryTenth(model))

    assert (info.outliers_reassigned, info.unassigned) == (20, 0)  # 192 passages: every tenth, from the first
    stored = dict(rows(db, "SELECT passage_id, topic_id FROM passage_topics WHERE model_version = ?",
                       [info.model_version]))
    assert set(stored.values()) == set(range(len(SUBJECTS)))
    # Assigning the fitted passages again with the saved model must put them back where the fit did.
    with Store(db).connect(read_only=True) as con:
        passage_ids, texts = topics_module._passages(con, topics_module._SELECT_PASSAGES)
        embeddings, _ = topics_module._embeddings(con, passage_ids, texts, ENCODER)
    model = topics_module._load_model(info.model_dir)
    again = topics_module._nearest_topics(model, texts, embeddings)
    agree = sum(stored[p] == t for p, t in zip(passage_ids, again, strict=True)) / len(passage_ids)
    assert agree > 0.95


class LeavesOutMostOfOneCluster:
    """HDBSCAN, but most passages of its first cluster are left out and part of its second is put in its third: the
    first is then numbered as the smallest topic, and is as large as any once its passages rejoin it."""

    def __init__(self, cluster_model) -> None:
        self.cluster_model = cluster_model

    def fit(self, points: np.ndarray, y=None) -> LeavesOutMostOfOneCluster:
        labels = self.cluster_model.fit(points).labels_.copy()
        first, second = np.flatnonzero(labels == 0), np.flatnonzero(labels == 1)
        labels[first[:30]] = -1
        labels[second[:10]] = 2
        self.labels_ = labels
        return self


@pytest.mark.slow
def test_topics_are_numbered_by_size_after_every_passage_has_one(tmp_path: Path, monkeypatch, fitted: dict):
    db, info = fit_with_clustering(tmp_path, monkeypatch, fitted, lambda model, _: LeavesOutMostOfOneCluster(model))

    assert info.outliers_reassigned == 30
    topics = rows(db, "SELECT topic_id, size, label FROM topics WHERE model_version = ? ORDER BY topic_id",
                  [info.model_version])
    sizes = [size for _, size, _ in topics]
    assert [topic for topic, _, _ in topics] == list(range(len(topics))) and sizes == sorted(sizes, reverse=True)
    assert sizes[0] > sizes[-1]  # the sizes differ, so the order says something
    # every table and file that holds topic numbers uses the same ones
    counted = dict(rows(db, "SELECT topic_id, count(*) FROM passage_topics WHERE model_version = ? GROUP BY 1",
                        [info.model_version]))
    assert counted == {topic: size for topic, size, _ in topics}
    assert rows(db, "SELECT count(*) FROM topic_representatives r JOIN passage_topics t USING (passage_id, "
                    "model_version) WHERE r.model_version = ? AND r.topic_id <> t.topic_id", [info.model_version]) \
        == [(0,)]
    saved = json.loads((info.model_dir / "topics.json").read_text())
    assert {int(topic): size for topic, size in saved["topic_sizes"].items()} == counted
    assert {int(topic): label for topic, label in saved["custom_labels"].items()} == {t: lb for t, _, lb in topics} \
        if isinstance(saved["custom_labels"], dict) else saved["custom_labels"] == [lb for _, _, lb in topics]
    stored = dict(rows(db, "SELECT passage_id, topic_id FROM passage_topics WHERE model_version = ?",
                       [info.model_version]))
    with Store(db).connect(read_only=True) as con:
        passage_ids, texts = topics_module._passages(con, topics_module._SELECT_PASSAGES)
        embeddings, _ = topics_module._embeddings(con, passage_ids, texts, ENCODER)
    again = topics_module._nearest_topics(topics_module._load_model(info.model_dir), texts, embeddings)
    # the saved model puts the passages where the fit did, but for the 10 put in the wrong cluster above
    assert sum(stored[p] == t for p, t in zip(passage_ids, again, strict=True)) >= len(passage_ids) - 10


class LumpsEverything:
    """HDBSCAN whose excess-of-mass selection puts every passage in one cluster, as it can on a small corpus."""

    def __init__(self, cluster_model) -> None:
        self.cluster_model = cluster_model

    def fit(self, points: np.ndarray, y=None) -> LumpsEverything:
        self.labels_ = np.zeros(len(points), dtype=int)
        self.labels_[:5] = 1
        return self


@pytest.mark.slow
def test_when_one_topic_swallows_the_corpus_the_finest_stable_clusters_are_taken(tmp_path: Path, monkeypatch,
                                                                                    fitted: dict):
    selections = []

    def lumping_eom(model, selection):
        selections.append(selection)
        return LumpsEverything(model) if selection == "eom" else model

    reducers = []
    db, info = fit_with_clustering(tmp_path, monkeypatch, fitted, lumping_eom, reducers)

    assert selections == ["eom", "leaf"]
    # the refit clusters the points the first fit reduced: UMAP runs once
    assert reducers[0] is reducers[1] and reducers[0].fits == 1
    assert info.notes[0] == ("the first grouping put over 50% of the passages it grouped into one topic, so they "
                             "were grouped again, into the smallest groups that hold together")
    saved = json.loads((info.model_dir / topics_module.SETTINGS_FILE).read_text())
    assert saved["cluster_selection"] == "leaf"
    # the finer clusters follow the subjects again: each topic is one subject, and every subject has a topic
    assigned = rows(db, "SELECT t.topic_id, p.text FROM passage_topics t JOIN passages p USING (passage_id) "
                        "WHERE t.model_version = ?", [info.model_version])
    by_topic: dict[int, list[str]] = {}
    for topic, text in assigned:
        by_topic.setdefault(topic, []).append(subject_of(text))
    assert info.topics >= len(SUBJECTS) and not topics_module.lumped([t for t, _ in assigned])
    majority = {topic: max(set(subjects), key=subjects.count) for topic, subjects in by_topic.items()}
    assert all(subjects.count(majority[topic]) >= 0.9 * len(subjects) for topic, subjects in by_topic.items())
    assert set(majority.values()) == set(SUBJECTS)


@pytest.mark.slow
def test_a_corpus_with_two_subjects_skips_the_topic_map_with_a_note(tmp_path: Path, fitted: dict):
    db = tmp_path / "two.duckdb"
    store = Store(db)
    run_id = store.start_run(Path("manifest.csv"), "2" * 64)
    for number, (review_id, year) in enumerate(REVIEWS[:3]):
        subjects = ["home", "school"] * 10
        store.write_review(run_id, review_result(review_id, year, subjects, seed=number), seconds=1.0)
    old_map = tmp_path / "two-topics" / MAP_HTML
    old_map.parent.mkdir()
    old_map.write_text("a map from an earlier fit")
    other = tmp_path / "topics" / MAP_HTML  # another database's, in the same folder: left as it was
    other.parent.mkdir()
    other.write_text("the map of casereview.duckdb beside it")

    info = fit_topics(db)  # by default into two-topics/ beside two.duckdb

    assert info.model_dir.parent == tmp_path / "two-topics"
    assert other.read_text() == "the map of casereview.duckdb beside it"
    assert info.topics == 2
    assert info.notes == [f"{MAP_HTML} not drawn: 2 topics are too few for it"]
    assert not old_map.exists()
    assert sorted(p.name for p in info.files) == sorted([TERMS_HTML, YEARS_HTML])


@pytest.mark.slow
def test_passages_without_stored_embeddings_are_embedded_with_the_project_encoder(tmp_path: Path, fitted: dict):
    db = build_db(tmp_path / "casereview.duckdb", REVIEWS[:2], embed=False)

    info = fit_topics(db, out_dir=tmp_path / "topics")

    assert info.settings.encoder == DEFAULT_ENCODER and info.passages == 2 * PASSAGES_PER_REVIEW
    assert rows(db, "SELECT model, count(*), min(len(vector)) FROM passage_embeddings GROUP BY model") == [
        (DEFAULT_ENCODER, 2 * PASSAGES_PER_REVIEW, load_encoder(DEFAULT_ENCODER).dimension)]
    assert rows(db, "SELECT count(*) FROM passage_topics") == [(2 * PASSAGES_PER_REVIEW,)]
