"""Learning themes: taxonomy and data validation, evaluation arithmetic, training round trip, tagging with
evidence, the shipped model, and the classify/evaluate/train commands driven as a user would."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from pipeline.commands.themes import classify, evaluate, train
from pipeline.records import Block
from pipeline.settings import PROJECT_ROOT
from pipeline.themes.data import (
    Example,
    is_held_out,
    load_gold,
    load_training_data,
    read_examples,
    unseen_writer_files,
)
from pipeline.themes.errors import ThemeError
from pipeline.themes.evaluate import RESAMPLES, bootstrap_f1, format_reliability, format_table, reliability
from pipeline.themes.evaluate import evaluate as score
from pipeline.themes.keywords import KeywordMatcher
from pipeline.themes.model import ThemeModel, settings_hash
from pipeline.themes.taxonomy import load_taxonomy
from pipeline.themes.trust import CASE_REVIEW_CHECK, case_review_check_in, real_text_note, theme_check_note

TAXONOMY = PROJECT_ROOT / "models" / "taxonomy.yaml"
TRAINING = PROJECT_ROOT / "models" / "training"
SHIPPED = PROJECT_ROOT / "models" / "themes-v1"

VOICE_TEXT = ("Nobody sat down with the two boys on their own to ask what life at home was like for them, "
              "or what they wanted to happen next.")
LEGAL_TEXT = ("The local authority applied for an emergency protection order, and the court made an interim "
              "care order the following week.")
BACKGROUND_TEXT = "The family lived in a two-bedroom flat near the railway station and the boys enjoyed football."

THEME = """
  - id: {id}
    name: A theme
    core: true
    definition: What it is about.
    includes: [one thing]
    excludes: []
    seed_phrases: [a phrase]
"""


def write_taxonomy(path: Path, body: str, version: str = "1") -> Path:
    path.write_text(f"version: {version}\nthemes:\n{body}", encoding="utf-8")
    return path


# --- taxonomy and training data -------------------------------------------------------------------------------

def test_shipped_taxonomy_is_valid():
    taxonomy = load_taxonomy(TAXONOMY)
    assert taxonomy.core_ids == ["assessment", "voice_of_child", "information_sharing", "legal_powers"]
    assert len(taxonomy.ids) == len(set(taxonomy.ids)) == 7
    assert all(theme.seed_phrases and theme.definition for theme in taxonomy.themes)


def test_missing_field_names_file_theme_and_field(tmp_path):
    body = THEME.format(id="alpha").replace("    definition: What it is about.\n", "")
    path = write_taxonomy(tmp_path / "taxonomy.yaml", body)
    with pytest.raises(ThemeError) as error:
        load_taxonomy(path)
    assert str(path) in str(error.value) and "'alpha'" in str(error.value) and "'definition'" in str(error.value)


@pytest.mark.parametrize("body, expected", [
    (THEME.format(id="alpha") + THEME.format(id="alpha"), "used more than once"),
    (THEME.format(id="Not Snake"), "field 'id'"),
    (THEME.format(id="alpha").replace("core: true", "core: maybe"), "field 'core'"),
    (THEME.format(id="alpha").replace("seed_phrases: [a phrase]", "seed_phrases: []"), "'seed_phrases' is empty"),
    (THEME.format(id="alpha").replace("includes: [one thing]", "includes: one thing"), "field 'includes'"),
    # a misspelt field was left out unsaid
    (THEME.format(id="alpha") + "    synonyms: [another]\n", "theme 'alpha': unknown field 'synonyms': a theme has "
                                                              "the fields core, definition"),
])
def test_invalid_theme_fields_are_named(tmp_path, body, expected):
    with pytest.raises(ThemeError, match=expected):
        load_taxonomy(write_taxonomy(tmp_path / "taxonomy.yaml", body))


def test_missing_version_and_file(tmp_path):
    path = tmp_path / "taxonomy.yaml"
    path.write_text("themes:\n" + THEME.format(id="alpha"), encoding="utf-8")
    with pytest.raises(ThemeError, match="'version'"):
        load_taxonomy(path)
    with pytest.raises(ThemeError, match="not found"):
        load_taxonomy(tmp_path / "absent.yaml")


def test_unknown_theme_in_training_data_names_file_and_line(tmp_path):
    taxonomy = load_taxonomy(TAXONOMY)
    data = tmp_path / "training"
    data.mkdir()
    lines = [{"id": "t-1", "text": "A passage.", "labels": ["assessment"]},
             {"id": "t-2", "text": "Another passage.", "labels": ["safeguarding_culture"]}]
    (data / "extra.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    with pytest.raises(ThemeError) as error:
        load_training_data(data, taxonomy)
    message = str(error.value)
    assert "extra.jsonl, line 2" in message and "safeguarding_culture" in message


def test_duplicate_ids_and_bad_json_are_reported(tmp_path):
    taxonomy = load_taxonomy(TAXONOMY)
    data = tmp_path / "training"
    data.mkdir()
    (data / "a.jsonl").write_text('{"id": "x", "text": "One.", "labels": []}\n', encoding="utf-8")
    (data / "b.jsonl").write_text('{"id": "x", "text": "Two.", "labels": []}\n', encoding="utf-8")
    with pytest.raises(ThemeError, match="b.jsonl, line 1: id 'x' is already used"):
        load_training_data(data, taxonomy)
    (data / "b.jsonl").write_text('{"id": "y", "text": "Two.", "labels": [}\n', encoding="utf-8")
    with pytest.raises(ThemeError, match="b.jsonl, line 1: not valid JSON"):
        load_training_data(data, taxonomy)


def test_shipped_training_data_is_valid_and_split_is_stable():
    examples = load_training_data(TRAINING, load_taxonomy(TAXONOMY))
    held = [e for e in examples if is_held_out(e.id)]
    assert 0.15 < len(held) / len(examples) < 0.25
    assert is_held_out("asm-0001") == is_held_out("asm-0001")


def test_training_data_shares_no_passage_with_the_shared_documents():
    """Our training data (and the probe and unseen-writer items beside it) is our own writing: no 12-word run of
    it appears in ../shared (corpus or dev set)."""
    import re

    shared = PROJECT_ROOT.parent / "shared"
    sources = sorted((shared / "corpus").glob("*.txt")) + sorted((shared / "eval").glob("*.jsonl"))
    if not sources:
        pytest.skip("../shared is not present")

    def runs(text: str, n: int = 12) -> set[str]:
        words = re.findall(r"[a-z0-9]+", text.lower())
        return {" ".join(words[i:i + n]) for i in range(len(words) - n + 1)}

    theirs = set().union(*(runs(path.read_text(encoding="utf-8")) for path in sources))
    taxonomy = load_taxonomy(TAXONOMY)
    ours = load_training_data(TRAINING, taxonomy)
    ours += [e for folder in ("probes", "unseen_writers") for path in sorted((TRAINING / folder).glob("*.jsonl"))
             for e in read_examples(path, taxonomy.ids)]
    assert len(ours) > len(load_training_data(TRAINING, taxonomy)) + 1000
    copied = {e.id: sorted(runs(e.text) & theirs)[:1] for e in ours if runs(e.text) & theirs}
    assert not copied, f"training items repeat text from ../shared: {copied}"


def test_keyword_baseline_matches_lemmas():
    matcher = KeywordMatcher({"assessment": ["assessment was not updated"], "voice_of_child": ["seen alone"]})
    scores = matcher.predict_proba(["The assessments were not updated.", "She was never SEEN ALONE.", "Nothing."])
    assert scores.tolist() == [[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]


# --- evaluation arithmetic ------------------------------------------------------------------------------------

def test_evaluation_numbers_match_hand_calculation():
    a, v, i = "assessment", "voice_of_child", "information_sharing"
    gold = [
        Example("1", "t", frozenset({a})),
        Example("2", "t", frozenset({a, v})),
        Example("3", "t", frozenset()),
        Example("4", "t", frozenset({v}), uncertain=frozenset({a})),
        Example("5", "t", frozenset()),
    ]
    predicted = [{a}, {a}, {v}, {a, v}, {i}]
    report = score(gold, predicted, [a, v, i], core=[a, v, i])
    # assessment: item 4 left out (uncertain); tp = items 1, 2; no fp, no fn.
    assert report["themes"][a] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 2, "tagged": 2,
                                   "tp": 2, "fp": 0, "fn": 0, "left_out": 1}
    # voice: tp = item 4, fp = item 3, fn = item 2 -> P = R = F1 = 1/2.
    assert report["themes"][v]["precision"] == 0.5 and report["themes"][v]["recall"] == 0.5
    assert report["themes"][v]["f1"] == 0.5
    # information sharing: no gold examples, one wrong tag: precision 0, recall and F1 undefined.
    assert report["themes"][i]["precision"] == 0.0
    assert report["themes"][i]["recall"] is None and report["themes"][i]["f1"] is None
    # micro: tp 3, fp 2, fn 1 -> P 3/5, R 3/4, F1 2PR/(P+R) = 2/3.
    assert report["micro"]["precision"] == pytest.approx(0.6)
    assert report["micro"]["recall"] == pytest.approx(0.75)
    assert report["micro"]["f1"] == pytest.approx(2 / 3)
    # macro over the themes with gold examples only: F1 (1 + 0.5) / 2.
    assert report["macro"]["themes"] == [a, v] and report["macro"]["f1"] == pytest.approx(0.75)
    assert report["macro_core"]["f1"] == pytest.approx(0.75)
    table = format_table(report)
    assert "information_sharing" in table and "macro core (2 of 3)" in table


def test_reliability_bands_count_scores_and_the_share_that_came_true():
    gold = [Example("a", "", frozenset({"x"}), frozenset()),
            Example("b", "", frozenset({"x", "y"}), frozenset()),
            Example("c", "", frozenset(), frozenset({"x"}))]
    probabilities = np.array([[0.1, 1.0],    # 0.1 opens the second band; 1.0 belongs to the last
                              [0.99, 0.05],
                              [0.97, 0.5]])  # c's score for x is left out: x is uncertain there
    rows = reliability(gold, probabilities, ["x", "y"], edges=(0.0, 0.1, 0.9, 0.99, 1.0))
    assert [row["scores"] for row in rows] == [1, 2, 0, 2]
    assert [row["labelled_share"] for row in rows] == [1.0, 0.5, None, 0.5]
    assert rows[3]["mean_probability"] == pytest.approx(0.995)
    assert rows[2]["mean_probability"] is None
    text = format_reliability(rows)
    assert "99%-100%" in text and "50%" in text


def test_theme_never_found_scores_zero_f1():
    gold = [Example("1", "t", frozenset({"assessment"}))]
    row = score(gold, [set()], ["assessment"])["themes"]["assessment"]
    assert row["precision"] is None and row["recall"] == 0.0 and row["f1"] == 0.0


def test_f1_intervals_hold_the_score_and_narrow_with_more_items():
    a, v = "assessment", "voice_of_child"
    # 10 items: assessment right on 4 of its 5 (one miss), one false tag -> F1 0.8; voice always right.
    gold = [Example(str(k), "t", frozenset({a, v}) if k < 5 else frozenset()) for k in range(10)]
    predicted = [{a, v}] * 4 + [{v}] + [{a}] + [set()] * 4
    small = score(gold, predicted, [a, v], core=[a, v], resamples=500)
    low, high = small["themes"][a]["f1_interval"]
    assert low < 0.8 < high and 0.0 <= low and high <= 1.0
    # a theme the model always gets right has no spread at all
    assert small["themes"][v]["f1_interval"] == [1.0, 1.0]
    assert small["macro_core"]["f1_interval"][0] <= small["macro_core"]["f1"] <= small["macro_core"]["f1_interval"][1]
    # the same error rates on ten times the items: the same F1, a narrower interval
    many = [Example(f"{copy}-{e.id}", e.text, e.labels) for copy in range(10) for e in gold]
    large = score(many, predicted * 10, [a, v], core=[a, v], resamples=500)
    assert large["themes"][a]["f1"] == pytest.approx(0.8)
    big_low, big_high = large["themes"][a]["f1_interval"]
    assert big_high - big_low < (high - low) / 2
    # seeded: the same input gives the same interval
    assert score(gold, predicted, [a, v], resamples=500)["themes"][a]["f1_interval"] == [low, high]
    # without resamples there are no intervals, and the table has no interval column
    assert "f1_interval" not in score(gold, predicted, [a, v])["themes"][a]
    assert "95% interval" in format_table(small) and "95% interval" not in format_table(score(gold, predicted, [a]))


def test_bootstrap_leaves_out_uncertain_items_and_resamples_without_the_theme():
    a = "assessment"
    # item 2 is a false tag, but uncertain for assessment: left out, so every resample scores 1.0
    gold = [Example("1", "t", frozenset({a})), Example("2", "t", frozenset(), uncertain=frozenset({a}))]
    f1 = bootstrap_f1(gold, [{a}, {a}], [a], resamples=200)
    drawn = ~np.isnan(f1[:, 0])
    assert set(f1[drawn, 0]) == {1.0}
    # resamples that drew item 2 twice hold no assessment example: undefined (NaN), not 0
    assert (~drawn).any()
    report = score(gold, [{a}, {a}], [a], resamples=200)
    assert report["themes"][a]["f1"] == 1.0
    assert report["themes"][a]["f1_interval"] is None  # one example: too few for a range to mean anything
    # nor for the averages over it alone: "0.00-0.00" or "1.00-1.00" would read as certainty
    assert report["macro"]["f1_interval"] is None and report["macro_core"]["f1_interval"] is None
    macro_line = [line for line in format_table(report).splitlines() if line.startswith("macro (")][0]
    assert macro_line.split()[-2:] == ["too", "few"]


# --- training round trip --------------------------------------------------------------------------------------

def small_training_folder(tmp_path: Path, per_file: int = 10) -> Path:
    folder = tmp_path / "training"
    folder.mkdir()
    for path in sorted(TRAINING.glob("*.jsonl")):
        lines = path.read_text(encoding="utf-8").splitlines()[:per_file]
        (folder / path.name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("approach", ["tfidf", "tfidf+embedding"])
def test_train_save_load_gives_identical_predictions(tmp_path, approach):
    from pipeline.themes.train import train_models

    data = small_training_folder(tmp_path)
    taxonomy = load_taxonomy(TAXONOMY)
    metrics = train_models(data, tmp_path / "m1", seed=5, approaches=[approach], log=lambda _: None)
    model = ThemeModel.load(tmp_path / "m1")
    assert model.version.startswith("m1@") and model.approach == metrics["chosen"] == approach
    # The loaded model reproduces the held-out scores computed in memory before saving.
    held_out = [e for e in load_training_data(data, taxonomy) if is_held_out(e.id)]
    probabilities = model.score([e.text for e in held_out])
    predicted = [set(labels) for labels in model.labels_from(probabilities)]
    expected = score(held_out, predicted, model.themes, model.core_themes, resamples=RESAMPLES)
    expected["reliability"] = reliability(held_out, probabilities, model.themes)
    assert expected == metrics["approaches"][approach]["held_out"]
    for name in ("config.json", "thresholds.json", "metrics.json", "MODEL_CARD.md"):
        assert (tmp_path / "m1" / name).is_file()
    config = json.loads((tmp_path / "m1" / "config.json").read_text(encoding="utf-8"))
    assert config["settings_sha256"] == settings_hash(config)  # what loading checks the config against


def unseen_writers_folder(data: Path, per_file: int = 10) -> int:
    """Copy the first lines of each shipped unseen-writer file into ``data/unseen_writers``; return how many."""
    folder = data / "unseen_writers"
    folder.mkdir()
    count = 0
    for path in sorted((TRAINING / "unseen_writers").glob("*.jsonl")):
        lines = path.read_text(encoding="utf-8").splitlines()[:per_file]
        (folder / path.name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        count += len(lines)
    return count


@pytest.mark.slow
def test_same_data_and_seed_give_identical_weights(tmp_path):
    """... and passages by unseen writers are scored, never trained on: adding them leaves the weights alone."""
    from pipeline.themes.train import train_models

    data = small_training_folder(tmp_path)
    train_models(data, tmp_path / "m1", seed=5, approaches=["keywords", "tfidf"], log=lambda _: None)
    unseen = unseen_writers_folder(data)
    metrics = train_models(data, tmp_path / "m2", seed=5, approaches=["keywords", "tfidf"], log=lambda _: None)
    assert unseen >= 20 and metrics["approaches"]["tfidf"]["unseen_writers"]["items"] == unseen
    assert "unseen writers" in (tmp_path / "m2" / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "unseen writers" not in (tmp_path / "m1" / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert (tmp_path / "m1" / "weights.npz").read_bytes() == (tmp_path / "m2" / "weights.npz").read_bytes()
    first, second = ThemeModel.load(tmp_path / "m1"), ThemeModel.load(tmp_path / "m2")
    assert first.version.split("@")[1] == second.version.split("@")[1]
    texts = [VOICE_TEXT, LEGAL_TEXT, BACKGROUND_TEXT]
    assert np.array_equal(first.predict_proba(texts), second.predict_proba(texts))


def test_bagged_fit_averages_one_fit_per_draw_of_mixed_passages():
    """Several draws of synthetic rows give one linear model whose weights are the mean of a fit with each draw;
    out-of-fold scores still come from the real rows alone."""
    from pipeline.themes.linear import fit_calibrated

    rng = np.random.default_rng(0)
    features, labels = rng.normal(size=(40, 6)), (rng.random((40, 2)) < 0.5).astype(int)
    folds = [(np.arange(20, 40), np.arange(20)), (np.arange(20), np.arange(20, 40))]
    draws = [(rng.normal(size=(10, 6)), (rng.random((10, 2)) < 0.5).astype(int)) for _ in range(2)]
    fold_draws = [[(rng.normal(size=(10, 6)), (rng.random((10, 2)) < 0.5).astype(int))] * 2 for _ in folds]
    bagged, out_of_fold = fit_calibrated(features, labels, folds, 1.0, 3, fold_extra=fold_draws, extra=draws)
    one, two = (fit_calibrated(features, labels, folds, 1.0, 3, fold_extra=[d[:1] for d in fold_draws],
                               extra=[draw])[0] for draw in draws)
    assert np.allclose(bagged.coef, (one.coef + two.coef) / 2) and not np.allclose(one.coef, two.coef)
    assert np.allclose(bagged.intercept, (one.intercept + two.intercept) / 2)
    assert out_of_fold.shape == labels.shape


def test_changed_weights_are_refused(tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(SHIPPED, folder)
    thresholds = json.loads((folder / "thresholds.json").read_text())
    thresholds["assessment"] = 0.01
    (folder / "thresholds.json").write_text(json.dumps(thresholds))
    with pytest.raises(ThemeError, match="changed after training"):
        ThemeModel.load(folder)
    with pytest.raises(ThemeError, match="not a theme model folder"):
        ThemeModel.load(tmp_path)


def test_a_runs_tagger_checks_the_model_at_once_and_builds_it_when_it_first_tags(tmp_path, monkeypatch):
    # A run with nothing new to tag is spared building the classifier; a broken model folder still stops the
    # run before any review is read, and tags carry the version loading the model gives.
    from pipeline.flow import make_tagger
    from pipeline.segment import segment
    from pipeline.store import Store

    built = []
    real_load = ThemeModel.load
    monkeypatch.setattr(ThemeModel, "load", classmethod(lambda cls, folder: built.append(folder) or
                                                         real_load(folder)))
    store = Store(tmp_path / "db.duckdb")
    tag = make_tagger(SHIPPED, store)
    assert built == [] and tag.model_version == real_load(SHIPPED).version
    passages = segment("r", [Block("paragraph", VOICE_TEXT, 1, 1)])
    tags, _, _ = tag(passages)
    tag(passages)
    assert built == [SHIPPED] and "voice_of_child" in {t.theme for t in tags}
    broken = tmp_path / "model"
    shutil.copytree(SHIPPED, broken)
    (broken / "thresholds.json").write_text(json.dumps({t: 0.5 for t in real_load(SHIPPED).themes}))
    with pytest.raises(ThemeError, match="changed after training"):
        make_tagger(broken, store)
    # retrained (a new, valid version) after the run started and before it first tags: not tagged as the old one
    shutil.rmtree(broken)
    shutil.copytree(SHIPPED, broken)
    tag = make_tagger(broken, store)
    from pipeline.themes.model import weights_hash

    (broken / "thresholds.json").write_text(json.dumps({t: 0.5 for t in real_load(SHIPPED).themes}))
    config = json.loads((broken / "config.json").read_text(encoding="utf-8"))
    config["weights_sha256"] = weights_hash(broken)
    (broken / "config.json").write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(ThemeError, match="changed during the run .*run again"):
        tag(passages)


def test_changed_text_settings_are_refused_as_they_would_change_tags_under_the_same_version(tmp_path):
    # The version names the weights only: tags made with other text settings would carry the same version, and
    # a run would take every review tagged before as unchanged.
    folder = tmp_path / "model"
    shutil.copytree(SHIPPED, folder)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    assert ThemeModel.load(folder).version == ThemeModel.load(SHIPPED).version
    config["settings"]["word"]["sublinear_tf"] = not config["settings"]["word"]["sublinear_tf"]
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(ThemeError, match="config.json: its approach, encoder, .* changed after training"):
        ThemeModel.load(folder)
    config["name"] = "renamed"  # what does not decide the scores may change
    config["settings"]["word"]["sublinear_tf"] = not config["settings"]["word"]["sublinear_tf"]
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    assert ThemeModel.load(folder).version.startswith("renamed@")


# --- the shipped model ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def shipped() -> ThemeModel:
    return ThemeModel.load(SHIPPED)


def test_shipped_model_tags_obvious_sentences(shipped):
    labels = shipped.labels([VOICE_TEXT, LEGAL_TEXT, BACKGROUND_TEXT])
    assert "voice_of_child" in labels[0]
    assert "legal_powers" in labels[1]
    assert labels[2] == []
    assert shipped.version.startswith("themes-v1@")
    assert (SHIPPED / "MODEL_CARD.md").is_file()
    assert sum(f.stat().st_size for f in SHIPPED.iterdir()) < 5 * 1024 * 1024


def passages_of(paragraphs: list[str]):
    from pipeline.segment import segment

    blocks = [Block(kind="paragraph", text=text, page_start=1, page_end=1) for text in paragraphs]
    return segment("test-review", blocks)


def test_review_process_detector_flags_how_the_review_was_done_not_what_it_found(shipped):
    about_the_review = [
        "The partnership commissioned this review after the rapid review agreed that the criteria were met.",
        "The reviewer read the case records of six agencies and met eleven practitioners at two learning events.",
        "The terms of reference asked how well agencies shared information and whether the child's views were "
        "sought.",
    ]
    findings = [
        "The review found that no one asked Child D what life at home was like.",
        "Practitioners told the review that the school's concerns never reached the health visitor.",
        "The reviewer found that a care order was not considered although the threshold was met.",
    ]
    flags = shipped.about_the_review(about_the_review + findings)
    assert flags.tolist() == [True] * 3 + [False] * 3
    assert all(shipped.labels(findings))  # the findings keep their themes
    assert shipped.about_the_review([]).shape == (0,)


def test_review_process_detector_leaves_unseen_writers_findings_alone(shipped):
    """On 1,000 passages by writers it never saw, the detector flags almost none with a theme (their tags would
    be at risk) and some without (methods, acknowledgements): it generalises beyond its own training writers."""
    taxonomy = load_taxonomy(TAXONOMY)
    items = [e for path in unseen_writer_files(TRAINING) for e in read_examples(path, taxonomy.ids)]
    assert len(items) >= 1000
    flags = shipped.about_the_review([e.text for e in items])
    themed = np.array([bool(e.labels) for e in items])
    assert flags[themed].sum() <= 0.01 * themed.sum()
    assert 0 < flags[~themed].sum() < (~themed).sum()


def test_a_tag_is_dropped_only_when_its_passage_and_its_evidence_are_about_the_review(shipped):
    from pipeline.segment import segment

    method = ("The reviewer read the case records of six agencies and met eleven practitioners at two learning "
              "events. The terms of reference asked how well agencies shared information about the family.")
    finding = ("The reviewer met eleven practitioners at two learning events. They described how the school's "
               "concerns about Child D's bruising were never passed to the health visitor or to children's "
               "social care, so no agency saw the whole picture.")
    passages = [p for i, text in enumerate([method, finding])
                for p in segment(f"r{i}", [Block("paragraph", text, 1, 1)])]
    tags, _ = shipped.tag_passages(passages, with_embeddings=False)
    kept, _ = shipped.tag_passages(passages, with_embeddings=False, drop_review_process=True)
    assert {t.passage_id for t in tags} == {p.passage_id for p in passages}  # the model alone tags both
    assert {t.passage_id for t in kept} == {passages[1].passage_id}
    assert [t for t in tags if t.passage_id == passages[1].passage_id] == kept  # scores and evidence unchanged


def test_a_model_folder_saved_without_a_detector_flags_nothing(tmp_path):
    from pipeline.themes.arrays import read_arrays, write_arrays
    from pipeline.themes.model import weights_hash

    folder = tmp_path / "model"
    shutil.copytree(SHIPPED, folder)
    arrays = {name: value for name, value in read_arrays(folder / "weights.npz").items()
              if not name.startswith("process.")}
    write_arrays(folder / "weights.npz", arrays)
    config = json.loads((folder / "config.json").read_text())
    config["weights_sha256"] = weights_hash(folder)
    (folder / "config.json").write_text(json.dumps(config))
    model = ThemeModel.load(folder)
    assert model.process_detector is None
    assert model.about_the_review(["The reviewer read the records of six agencies."]).tolist() == [False]


def test_tag_passages_gives_evidence_inside_the_passage(shipped):
    passages = passages_of([  # each over the segmenter's minimum length, so each is its own passage
        f"The family moved house twice that year. {VOICE_TEXT} The school reported good attendance.",
        f"{LEGAL_TEXT} The hearing was listed for a Tuesday morning at the family court in the city.",
        f"{BACKGROUND_TEXT} Their grandmother lived in the next street and visited most weekends.",
    ])
    assert len(passages) == 3
    tags, computed = shipped.tag_passages(passages)
    by_passage = {(t.passage_id, t.theme): t for t in tags}
    assert (passages[0].passage_id, "voice_of_child") in by_passage
    assert (passages[1].passage_id, "legal_powers") in by_passage
    assert not [t for t in tags if t.passage_id == passages[2].passage_id]
    texts = {p.passage_id: p for p in passages}
    for tag in tags:
        assert tag.model_version == shipped.version and tag.score >= shipped.thresholds[tag.theme]
        assert 1 <= len(tag.evidence) <= 2
        for evidence in tag.evidence:
            assert evidence.text in texts[tag.passage_id].text
    voice = by_passage[(passages[0].passage_id, "voice_of_child")]
    assert voice.evidence[0].text.startswith("Nobody sat down")
    assert set(computed) == {p.passage_id for p in passages}
    assert all(len(vector) == shipped.config["embedding_dimension"] for vector in computed.values())
    again, recomputed = shipped.tag_passages(passages, embeddings=computed)
    assert recomputed == {} and again == tags
    if not shipped.uses_embeddings:
        fast, none = shipped.tag_passages(passages, with_embeddings=False)
        assert none == {} and fast == tags


def test_passage_and_sentence_scores_in_one_pass_match_scoring_each_text(shipped):
    if not hasattr(shipped.classifier, "predict_passages"):
        pytest.skip("the shipped approach scores passages and sentences separately")
    passages = passages_of([
        f"The family moved house twice that year. {VOICE_TEXT} The school reported good attendance.",
        f'{LEGAL_TEXT} She said: "Nobody ever asked me what I wanted, not once, in all those years at home."',
        f"{BACKGROUND_TEXT} Their grandmother lived in the next street and visited most weekends.",
    ])
    # the last two are analysed directly: no sentences, and sentences whose words are not the passage's
    texts = [p.text for p in passages] + ["One sentence only, about nothing in particular at all.", VOICE_TEXT]
    sentences = [[s.text for s in p.sentences] for p in passages] + [[], [LEGAL_TEXT, BACKGROUND_TEXT]]
    together, by_passage = shipped.classifier.predict_passages(texts, sentences)
    np.testing.assert_allclose(together, shipped.predict_proba(texts), atol=1e-5)
    assert [len(rows) for rows in by_passage] == [len(group) for group in sentences]
    for group, rows in zip(sentences, by_passage, strict=True):
        if group:
            np.testing.assert_allclose(rows, shipped.predict_proba(group), atol=1e-5)


# Our own writing: one sentence about the child's voice between two long ones about services and plans.
DILUTED_VOICE = [
    "The family support plan set out weekly visits by the outreach worker, a referral to the housing team for "
    "help with rent arrears, and a review of the plan at each core group meeting over the following six months.",
    "Nobody asked Maya what she wanted.",
    "The nursery offered extra sessions, the health visitor arranged a hearing test for the youngest child, and "
    "the school agreed to report attendance to the lead professional every fortnight.",
]


class _WordCounter:
    """A stand-in classifier for the rule alone: theme j's probability is the share of words equal to word j."""

    uses_embeddings = False

    def __init__(self, words):
        self.words = words

    def predict_proba(self, texts, embeddings=None):
        words = [[w.strip(".") for w in t.lower().split()] for t in texts]
        return np.array([[row.count(w) / len(row) for w in self.words] for row in words])


def test_passage_rule_takes_the_higher_of_whole_and_best_sentence():
    from pipeline.themes.scoring import score_texts

    classifier = _WordCounter(["voice", "court"])
    texts = ["voice a b c. x y z w.", "court court. voice x.", "voice only here"]
    sentences = [["voice a b c.", "x y z w."], ["court court.", "voice x."], ["voice only here"]]
    scores, by_sentence = score_texts(classifier, texts, sentences)
    np.testing.assert_allclose(scores[0], [0.25, 0.0])  # whole: 1/8; its first sentence: 1/4
    np.testing.assert_allclose(scores[1], [0.5, 1.0])  # whole: 1/4 and 1/2; sentences: 1/2 and 1
    np.testing.assert_allclose(scores[2], [1 / 3, 0.0])  # one sentence: the text itself
    assert [len(rows) for rows in by_sentence] == [2, 2, 0]


def test_passages_about_how_the_review_was_done_are_left_untagged_unless_their_section_swallowed_the_review():
    from pipeline.records import Passage
    from pipeline.themes.sections import untagged_passages

    def review(sections: list[str]) -> list[Passage]:
        return [Passage(passage_id=f"p{k}", review_id="r", seq=k, text="x", page_start=1, page_end=1,
                        section=section, char_start=0, char_end=1) for k, section in enumerate(sections)]

    findings = ["Finding 1: The school was not told"] * 6 + ["Recommendations"] * 2
    assert untagged_passages(review(["2. Methodology"] * 2 + findings)) == {"p0", "p1"}
    assert untagged_passages(review(["Terms of reference and scope", "Acknowledgements"] + findings)) == {"p0", "p1"}
    # six of ten passages under "Methodology": the headings after it were probably missed, so it is tagged
    assert untagged_passages(review(["Methodology"] * 6 + ["Recommendations"] * 4)) == set()
    assert untagged_passages(review(findings)) == set()


def test_a_theme_in_one_sentence_of_a_long_passage_is_tagged(shipped):
    passage_text = " ".join(DILUTED_VOICE)
    passages = passages_of([passage_text])
    assert len(passages) == 1 and len(passages[0].sentences) == 3
    theme = shipped.themes.index("voice_of_child")
    whole = shipped.predict_proba([passage_text])[0, theme]
    alone = shipped.predict_proba([DILUTED_VOICE[1]])[0, theme]
    assert whole < shipped.thresholds["voice_of_child"] <= alone  # scored as a whole, the passage would be missed
    tags, _ = shipped.tag_passages(passages)
    voice = [t for t in tags if t.theme == "voice_of_child"]
    assert len(voice) == 1
    assert voice[0].score == pytest.approx(alone, abs=1e-4)
    assert voice[0].evidence[0].text == DILUTED_VOICE[1]
    assert shipped.score([passage_text])[0, theme] == pytest.approx(alone, abs=1e-6)


def test_each_item_of_a_bulleted_list_is_its_own_evidence(shipped, tmp_path):
    # A real PDF through the real extractor: a lead-in and bullets ending in ";" (no full stop between them),
    # the first item wrapped back under its bullet. Each item is a sentence of its own, so a theme's evidence
    # is the item that shows it, not the whole list.
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    from pipeline.extract import extract_pdf
    from pipeline.segment import segment
    from tests.boxed_pdf import BODY

    sharing = ("• the school was never told that Child T had moved to another area, and her records did not "
               "follow her;")
    voice = "• nobody asked Child T what life at home was like for her, or saw her on her own;"
    items = ["The review found that:", sharing, voice,
             "• the family's housing was overcrowded and they had been moved twice in a year."]
    path = tmp_path / "list.pdf"
    SimpleDocTemplate(str(path)).build([Paragraph(t, ParagraphStyle("item", parent=BODY, spaceAfter=8))
                                        for t in items])
    blocks = extract_pdf(path).blocks
    assert sharing in [b.text for b in blocks]  # the wrapped line carries on its item
    passages = segment("list-review", blocks)
    sentences = [s.text for p in passages for s in p.sentences]
    assert "The review found that:" in sentences and sharing in sentences and voice in sentences
    tags, _ = shipped.tag_passages(passages, with_embeddings=False)
    evidence = {t.theme: t.evidence[0].text for t in tags}
    assert evidence.get("information_sharing") == sharing
    assert evidence.get("voice_of_child") == voice


def test_predict_proba_shape(shipped):
    probabilities = shipped.predict_proba([VOICE_TEXT, BACKGROUND_TEXT])
    assert probabilities.shape == (2, len(shipped.themes))
    assert np.all((probabilities >= 0) & (probabilities <= 1))


# --- the commands ---------------------------------------------------------------------------------------------

def test_classify_reads_json_and_plain_lines_in_order():
    stdin = "\n".join([json.dumps({"id": "p-1", "text": VOICE_TEXT}), "", LEGAL_TEXT,
                       json.dumps({"id": 7, "text": BACKGROUND_TEXT})]) + "\n"
    result = CliRunner().invoke(classify, ["--model", str(SHIPPED)], input=stdin)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["id"] for row in rows] == ["p-1", 3, 7]
    assert "voice_of_child" in rows[0]["labels"] and "legal_powers" in rows[1]["labels"]
    assert rows[2]["labels"] == []
    assert set(rows[0]["scores"]) == set(load_taxonomy(TAXONOMY).ids)


def test_files_saved_with_a_byte_order_mark_are_read_as_json(tmp_path):
    # Notepad and Excel start a UTF-8 file with a byte-order mark: the first JSON line must still be JSON (it
    # was scored as plain text, braces and all, with the line number for an id), and a gold file must load.
    line = json.dumps({"id": "p-1", "text": VOICE_TEXT})
    result = CliRunner().invoke(classify, ["--model", str(SHIPPED)], input="\ufeff" + line + "\n")
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)
    assert row["id"] == "p-1" and "voice_of_child" in row["labels"]
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"id": "g1", "text": VOICE_TEXT, "labels": ["voice_of_child"]}) + "\n",
                    encoding="utf-8-sig")
    report = CliRunner().invoke(evaluate, ["--gold", str(gold), "--model", str(SHIPPED), "--json",
                                           "--resamples", "0"])
    assert report.exit_code == 0, report.output
    assert json.loads(report.stdout)["themes"]["voice_of_child"]["support"] == 1


def test_files_that_are_not_utf8_are_a_clear_error_naming_the_line(tmp_path):
    # Older Windows programs save text as Windows-1252 ("child\x92s"): say which line and how to save it.
    stdin = b"Nobody asked the child.\nThe child\x92s views were not sought.\n"
    result = CliRunner().invoke(classify, ["--model", str(SHIPPED)], input=stdin)
    assert result.exit_code != 0 and result.stdout == ""
    assert "input line 2 is not UTF-8 text" in result.output and "Save As" in result.output
    assert "Traceback" not in result.output
    gold = tmp_path / "gold.jsonl"
    gold.write_bytes(b'{"id": "g1", "text": "The child\x92s views were not sought.", "labels": []}\n')
    report = CliRunner().invoke(evaluate, ["--gold", str(gold), "--model", str(SHIPPED)])
    assert report.exit_code != 0 and f"{gold}, line 1: not UTF-8 text" in report.output


def test_classify_scores_a_passage_as_the_pipeline_does():
    passage_text = " ".join(DILUTED_VOICE)
    stdin = "\n".join([passage_text, *DILUTED_VOICE]) + "\n"
    result = CliRunner().invoke(classify, ["--model", str(SHIPPED)], input=stdin)
    assert result.exit_code == 0, result.output
    passage, *sentences = [json.loads(line) for line in result.stdout.splitlines()]
    assert "voice_of_child" in passage["labels"]
    whole = ThemeModel.load(SHIPPED).predict_proba([passage_text])[0]
    for k, theme in enumerate(passage["scores"]):
        expected = max(whole[k], *(s["scores"][theme] for s in sentences))
        assert passage["scores"][theme] == pytest.approx(expected, abs=2e-4)


@pytest.mark.parametrize("bad_line, expected", [
    ('{"id": "p-2", "text": "unclosed', "input line 2: not valid JSON"),
    ('{"id": "p-2"}', 'input line 2: no "text"'),
    ('{"id": "p-2", "text": ""}', 'input line 2: no "text"'),
    ('{"id": "p-2", "text": 42}', 'input line 2: "text" is 42, not text'),
    ("x" * 1_000_001, "input line 2: the text is 1,000,001 characters long; at most 1,000,000 are scored at once"),
    ('{"id": "p-2", "text": "' + "x" * 1_000_001 + '"}', "input line 2: the text is 1,000,001 characters long"),
])
def test_classify_bad_line_names_the_line(bad_line, expected):
    stdin = json.dumps({"id": "p-1", "text": VOICE_TEXT}) + "\n" + bad_line + "\n"
    result = CliRunner().invoke(classify, ["--model", str(SHIPPED)], input=stdin)
    assert result.exit_code == 2
    assert expected in result.output and "Traceback" not in result.output
    assert result.stdout.strip() == "" or "p-1" not in result.stdout


def test_a_plain_line_that_opens_with_a_brace_is_text_not_broken_json():
    stdin = ("{Redacted} was never seen alone by the social worker.\n{Child A} was not seen by {the GP}\n"
             + json.dumps({"id": "p-3", "text": VOICE_TEXT}))
    result = CliRunner().invoke(classify, ["--model", str(SHIPPED)], input=stdin + "\n")
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [1, 2, "p-3"]


@pytest.mark.parametrize("header", ["id,text,notes", "\ufeffpassage_id;passage", '"id"\t"text"'])
def test_a_table_pasted_into_classify_is_refused_not_scored_cell_and_all(header):
    stdin = f"{header}\n1,{VOICE_TEXT},x\n"
    result = CliRunner().invoke(classify, ["--model", str(SHIPPED)], input=stdin)
    assert result.exit_code == 2 and result.stdout == ""
    assert "input line 1 looks like the header row of a table (CSV or spreadsheet)" in result.output
    assert "give only its text column, one passage a line" in result.output


def test_evaluate_refuses_a_text_too_long_to_score_naming_its_line(tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"id": "g1", "text": VOICE_TEXT, "labels": ["voice_of_child"]}) + "\n"
                    + json.dumps({"id": "g2", "text": "word " * 200_001, "labels": []}) + "\n", encoding="utf-8")
    report = CliRunner().invoke(evaluate, ["--gold", str(gold), "--model", str(SHIPPED)])
    assert report.exit_code == 2 and f"{gold}, line 2: the text is 1,000,005 characters long" in report.output
    assert "Traceback" not in report.output


def test_classify_missing_model_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(classify, ["--model", str(tmp_path)], input="text\n")
    assert result.exit_code == 2 and "not a theme model folder" in result.output


def test_evaluate_accepts_theme_names_as_people_write_them(tmp_path):
    # A gold file labelled by hand in a spreadsheet: names in any case, as well as ids; an unknown label is
    # still refused with its line.
    by_name, by_id = tmp_path / "names.jsonl", tmp_path / "ids.jsonl"
    by_name.write_text("\n".join(json.dumps(x) for x in [
        {"id": "g1", "text": VOICE_TEXT, "labels": ["Voice of the child"]},
        {"id": "g2", "text": LEGAL_TEXT, "labels": ["legal powers"], "uncertain": ["ASSESSMENT"]},
        {"id": "g3", "text": BACKGROUND_TEXT, "labels": ["Multi-agency working"]}]) + "\n", encoding="utf-8")
    by_id.write_text("\n".join(json.dumps(x) for x in [
        {"id": "g1", "text": VOICE_TEXT, "labels": ["voice_of_child"]},
        {"id": "g2", "text": LEGAL_TEXT, "labels": ["legal_powers"], "uncertain": ["assessment"]},
        {"id": "g3", "text": BACKGROUND_TEXT, "labels": ["multi_agency_working"]}]) + "\n", encoding="utf-8")
    reports = [json.loads(CliRunner().invoke(evaluate, ["--gold", str(path), "--model", str(SHIPPED), "--json",
                                                        "--resamples", "0"]).stdout) for path in (by_name, by_id)]
    assert reports[0]["themes"] == reports[1]["themes"]
    assert reports[0]["themes"]["multi_agency_working"]["support"] == 1
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "g1", "text": VOICE_TEXT, "labels": ["Voice of children"]}) + "\n",
                   encoding="utf-8")
    refused = CliRunner().invoke(evaluate, ["--gold", str(bad), "--model", str(SHIPPED)])
    assert refused.exit_code == 2 and "line 1: unknown theme id(s) in 'labels': Voice of children" in refused.output


def test_evaluate_names_a_gold_file_that_is_neither_a_sheet_nor_json_lines(tmp_path):
    database = tmp_path / "casereview.duckdb"
    database.write_bytes(b"\x00" * 8 + b"DUCK" + b"\x00" * 100)
    result = CliRunner().invoke(evaluate, ["--gold", str(database), "--model", str(SHIPPED)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert (f"{database} is not a label sheet or a JSON-lines file: give an Excel (.xlsx) or CSV label sheet"
            in " ".join(result.output.split()))


def test_a_passage_labelled_twice_in_a_gold_file_is_refused_naming_both_lines(tmp_path):
    # it was counted twice, with whichever labels each time
    gold = tmp_path / "gold.jsonl"
    items = [{"id": "g1", "text": VOICE_TEXT, "labels": ["voice_of_child"]},
             {"id": "g2", "text": LEGAL_TEXT, "labels": ["legal_powers"]},
             {"id": "g1", "text": VOICE_TEXT, "labels": []}]
    gold.write_text("\n".join(json.dumps(x) for x in items) + "\n", encoding="utf-8")
    result = CliRunner().invoke(evaluate, ["--gold", str(gold), "--model", str(SHIPPED)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"{gold}: the id 'g1' is given twice (line 1 and line 3): label each " \
           "passage once" in " ".join(result.output.split()), result.output


def test_evaluate_command_table_and_json(tmp_path):
    gold = tmp_path / "gold.jsonl"
    items = [{"id": "g1", "text": VOICE_TEXT, "labels": ["voice_of_child"]},
             {"id": "g2", "text": LEGAL_TEXT, "labels": ["legal_powers"], "uncertain": ["assessment"]},
             {"id": "g3", "text": BACKGROUND_TEXT, "labels": []}]
    gold.write_text("\n".join(json.dumps(x) for x in items) + "\n", encoding="utf-8")
    table = CliRunner().invoke(evaluate, ["--gold", str(gold), "--model", str(SHIPPED)])
    assert table.exit_code == 0, table.output
    assert "Voice of the child" in table.output and "macro core" in table.output
    result = CliRunner().invoke(evaluate, ["--gold", str(gold), "--model", str(SHIPPED), "--json"])
    report = json.loads(result.stdout)
    assert report["themes"]["voice_of_child"]["support"] == 1
    assert report["themes"]["assessment"]["left_out"] == 1
    assert report["resamples"] == 1000
    assert report["macro_core"]["f1_interval"] is None  # one example a theme: too few for a range
    assert "95% interval" in table.output and "too few" in table.output
    # how far to trust a probability: all 3 x 7 scores but the one uncertain, each in one band
    bands = report["reliability"]
    assert sum(band["scores"] for band in bands) == 3 * 7 - 1
    assert [band["low"] for band in bands] == sorted(band["low"] for band in bands)
    assert "How far to trust a probability" in table.output and "labelled with the theme" in table.output
    plain = CliRunner().invoke(evaluate, ["--gold", str(gold), "--model", str(SHIPPED), "--json", "--resamples", "0"])
    assert "f1_interval" not in json.loads(plain.stdout)["macro_core"]
    # --errors: one line per passage with a missed or wrong tag, adding up to the report's fn and fp
    mislabelled = tmp_path / "mislabelled.jsonl"  # a background sentence labelled as a theme: a sure miss
    mislabelled.write_text("\n".join(json.dumps(x) for x in items + [
        {"id": "g4", "text": BACKGROUND_TEXT, "labels": ["information_sharing"]}]) + "\n", encoding="utf-8")
    wrong_file = tmp_path / "out" / "wrong.jsonl"
    with_errors = CliRunner().invoke(evaluate, ["--gold", str(mislabelled), "--model", str(SHIPPED), "--json",
                                                "--errors", str(wrong_file)])
    assert with_errors.exit_code == 0, with_errors.output
    rows = [json.loads(line) for line in wrong_file.read_text(encoding="utf-8").splitlines()]
    assert {"id": "g4", "missed": ["information_sharing"]}.items() <= rows[-1].items()
    for theme, counts in json.loads(with_errors.stdout)["themes"].items():
        assert sum(theme in row["missed"] for row in rows) == counts["fn"]
        assert sum(theme in row["wrongly_tagged"] for row in rows) == counts["fp"]
    assert all(set(row["scores"]) == set(report["themes"]) for row in rows)
    assert f"written to {wrong_file}" in with_errors.stderr
    unwritable = CliRunner().invoke(evaluate, ["--gold", str(gold), "--model", str(SHIPPED),
                                               "--errors", str(gold / "wrong.jsonl")])
    assert unwritable.exit_code == 2 and "cannot write" in unwritable.output and "--errors" in unwritable.output
    gold.write_text('{"id": "g1", "text": "x", "labels": ["no_such_theme"]}\n', encoding="utf-8")
    bad = CliRunner().invoke(evaluate, ["--gold", str(gold), "--model", str(SHIPPED)])
    assert bad.exit_code == 2 and "line 1" in bad.output and "no_such_theme" in bad.output


@pytest.mark.slow
def test_train_command_prints_comparison(tmp_path):
    data = small_training_folder(tmp_path)
    out = tmp_path / "model"
    # a case-review check recorded for the shipped weights, left in the folder trained into, says nothing of the
    # new weights: the card leaves it out
    out.mkdir()
    shutil.copy(SHIPPED / CASE_REVIEW_CHECK, out / CASE_REVIEW_CHECK)
    result = CliRunner().invoke(train, ["--data", str(data), "--out", str(out), "--seed", "3", "--no-dev",
                                        "--approach", "keywords", "--approach", "tfidf"])
    assert result.exit_code == 0, result.output
    assert "On the language of case reviews" not in (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "Chosen:" in result.stdout and "Macro-F1 over the core themes" in result.stdout
    lines = result.stdout.splitlines()
    header = next(line for line in lines if line.startswith("approach"))
    assert "5-fold CV" in header and "held-out" in header and "unseen writers" not in header  # none in this folder
    assert any(line.startswith("keywords ") for line in lines) and any(line.startswith("tfidf ") for line in lines)
    assert any(line.startswith("voice_of_child ") for line in lines)  # by theme, for the chosen approach
    table = lines[:next(i for i, line in enumerate(lines) if line.startswith("Chosen:"))]
    assert max(len(line) for line in table) < 120  # fits a terminal; the card has the full comparison
    card = (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "## How far to trust a probability" in card and "held-out: labelled" in card
    assert "dev (real): labelled" not in card  # trained without a development set
    assert ThemeModel.load(out).approach in {"keywords", "tfidf"}
    # each theme's threshold against the model it would replace (here the shipped one: the folder had none)
    assert f"Against the model in {SHIPPED}" in result.stdout
    assert any(line.startswith("voice_of_child ") and " -> " in line for line in result.stdout.splitlines()[-8:])


def test_the_case_review_check_is_quoted_only_for_the_weights_it_measured(shipped, tmp_path):
    # The shipped model's card and notes give the one-off check on case-review sentences beside the development
    # set's figures; a copy of the folder with other weights quotes neither.
    card = (SHIPPED / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "## On the language of case reviews (a one-off check)" in card and "| assessment | 62 | 0.49 |" in card
    assert "on sentences from published case reviews" in real_text_note(shipped.version)
    assert "On 62 sentences from published case reviews it found 32%" in theme_check_note(shipped.version,
                                                                                            "assessment")
    copy = tmp_path / "themes-v1"
    shutil.copytree(SHIPPED, copy)
    config = json.loads((copy / "config.json").read_text(encoding="utf-8"))
    assert case_review_check_in(copy, config["weights_sha256"]) is not None
    assert case_review_check_in(copy, "0" * 64) is None
    check = json.loads((copy / CASE_REVIEW_CHECK).read_text(encoding="utf-8"))
    (copy / CASE_REVIEW_CHECK).write_text(json.dumps({**check, "weights_sha256": "0" * 64}), encoding="utf-8")
    assert "case reviews" not in real_text_note(shipped.version, tmp_path)
    assert "case reviews" not in theme_check_note(shipped.version, "assessment", models=tmp_path)


def test_help_texts_have_examples():
    for command in (classify, evaluate, train):
        result = CliRunner().invoke(command, ["--help"])
        assert result.exit_code == 0 and "Example" in result.output


def test_dev_set_reads_in_place_if_present():
    dev = PROJECT_ROOT.parent / "shared" / "eval" / "dev_themes.jsonl"
    if not dev.is_file():
        pytest.skip("shared development set not present")
    items = load_gold(dev, load_taxonomy(TAXONOMY).ids)
    assert len(items) > 100 and any(item.uncertain for item in items)


# --- the encoder ----------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_int8_encoder_agrees_with_torch():
    from pipeline.embed import INT8_ENCODER, TORCH_ENCODER, load_encoder

    texts = [VOICE_TEXT, LEGAL_TEXT, BACKGROUND_TEXT]
    fast = load_encoder(INT8_ENCODER).encode(texts)
    reference = load_encoder(TORCH_ENCODER).encode(texts)
    assert fast.shape == reference.shape == (3, 384)
    assert np.all((fast * reference).sum(axis=1) >= 0.99)


def test_static_encoder_gives_unit_vectors_in_input_order_and_keeps_meaning(tmp_path: Path):
    from pipeline.embed import DEFAULT_ENCODER, load_encoder
    from pipeline.static_encoder import STATIC_ENCODER

    assert DEFAULT_ENCODER == STATIC_ENCODER
    encoder = load_encoder()
    texts = ["Nobody asked the boy what he wanted or how he felt about going home.",
             "", "The court made a care order and the local authority shared parental responsibility.",
             "The child was never asked about her wishes and feelings."]
    vectors = encoder.encode(texts)
    assert vectors.shape == (4, encoder.dimension) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors[[0, 2, 3]], axis=1), 1.0, atol=1e-5)
    assert not vectors[1].any()  # an empty text is a zero row, not NaN
    # the two texts about the child's wishes are nearer each other than either is to the legal one
    assert vectors[0] @ vectors[3] > max(vectors[0] @ vectors[2], vectors[3] @ vectors[2])
    # order and batching do not change a text's vector
    assert np.allclose(encoder.encode(texts[::-1], batch_size=1)[::-1], vectors, atol=1e-6)
    # loading the folder by path gives the same vectors
    assert np.allclose(load_encoder(str(encoder.folder)).encode(texts), vectors, atol=1e-6)


# --------------------------------------------------------------------------- label sheets (Excel / CSV gold files)

SHEET_HEADER = ["passage_id", "review", "passage", "Assessment", "Voice of the child", "Information sharing",
                "Legal powers", "Multi-agency working", "Parental difficulties", "Planning and support", "No theme",
                "notes"]


def _sheet(path: Path, rows: list[list], header: list[str] = SHEET_HEADER) -> Path:
    """Write a label sheet as a person would leave it: CSV (UTF-8 with a byte-order mark) or Excel."""
    if path.suffix == ".xlsx":
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "Passages"
        for row in [header, *rows]:
            sheet.append(row)
        book.create_sheet("How to label").append(["not read", "x"])
        book.save(path)
    else:
        import csv

        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            csv.writer(handle).writerows([header, *rows])
    return path


def _marks(**marked: str) -> list[str]:
    """The theme and "No theme" cells of one row, ``marked`` by column (theme id, or no_theme)."""
    ids = ["assessment", "voice_of_child", "information_sharing", "legal_powers", "multi_agency_working",
           "parental_factors", "planning_support", "no_theme"]
    return [marked.get(key, "") for key in ids]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_label_sheet_is_read_as_a_gold_file(tmp_path, suffix):
    from pipeline.themes.sheet import read_sheet

    names = {theme.id: theme.name for theme in load_taxonomy(TAXONOMY).themes}
    path = _sheet(tmp_path / f"check{suffix}", [
        ["p1", "Review A", VOICE_TEXT, *_marks(voice_of_child="x", assessment="?"), "a note"],
        ["p2", "Review A", LEGAL_TEXT, *_marks(legal_powers="X", assessment=" Yes "), ""],
        ["p3", "Review B", BACKGROUND_TEXT, *_marks(no_theme="x"), ""],
        ["p4", "Review B", "Not read yet by anyone.", *_marks(), "no marks: not labelled yet"],
        [],  # a blank row: skipped, and the rows after it keep their numbers
        ["", "Review C", VOICE_TEXT, *_marks(voice_of_child="1"), ""],
    ])
    sheet = read_sheet(path, load_taxonomy(TAXONOMY).ids, names)
    assert [(e.id, sorted(e.labels), sorted(e.uncertain)) for e in sheet.examples] == [
        ("p1", ["voice_of_child"], ["assessment"]),
        ("p2", ["assessment", "legal_powers"], []),
        ("p3", [], []),
        ("row-7", ["voice_of_child"], []),
    ]
    assert sheet.examples[-1].source == f"{path}, row 7" and sheet.examples[0].text == VOICE_TEXT
    assert sheet.unlabelled == 1 and sheet.missing_themes == []
    assert "1 row has no mark yet" in sheet.notes(names)[0]
    # load_gold reads a sheet by its suffix, as `evaluate --gold` and `train --dev` do
    assert load_gold(path, load_taxonomy(TAXONOMY).ids, names) == sheet.examples


def test_a_label_sheet_without_a_themes_column_leaves_that_theme_unscored(tmp_path):
    from pipeline.themes.sheet import read_sheet

    header = ["text", "voice_of_child", "LEGAL POWERS", "No theme"]  # ids or names, in any case
    path = _sheet(tmp_path / "two.csv", [[VOICE_TEXT, "x", "", ""], [BACKGROUND_TEXT, "", "", "x"]], header)
    taxonomy = load_taxonomy(TAXONOMY)
    names = {theme.id: theme.name for theme in taxonomy.themes}
    sheet = read_sheet(path, taxonomy.ids, names)
    assert sheet.missing_themes == [t for t in taxonomy.ids if t not in ("voice_of_child", "legal_powers")]
    assert all(e.uncertain == frozenset(sheet.missing_themes) for e in sheet.examples)
    assert "no column for Assessment, Information sharing" in sheet.notes(names)[0]
    report = json.loads(CliRunner().invoke(evaluate, ["--gold", str(path), "--model", str(SHIPPED), "--json",
                                                      "--resamples", "0"]).stdout)
    assert report["themes"]["assessment"]["left_out"] == 2 and report["themes"]["assessment"]["support"] == 0
    assert report["themes"]["voice_of_child"]["support"] == 1
    assert any("no column for Assessment" in note for note in report["notes"])


@pytest.mark.parametrize("rows, header, message", [
    ([[VOICE_TEXT, "maybe", ""]], ["passage", "Voice of the child", "No theme"],
     "row 2, column 'Voice of the child': 'maybe' is not a mark: write x (about it), ? (unsure) or leave"),
    ([[VOICE_TEXT, "x", "x"]], ["passage", "Voice of the child", "No theme"],
     'row 2: marked under "No theme" and under a theme: keep one'),
    ([["", "x", ""]], ["passage", "Voice of the child", "No theme"],
     "row 2: labelled but the 'passage' cell is empty"),
    ([[VOICE_TEXT, "x"]], ["words", "Voice of the child"], "no column headed 'passage' or 'text'"),
    ([[VOICE_TEXT, "x"]], ["passage", "Voice of children"], "no column is headed with a theme's name"),
    ([[VOICE_TEXT, "", ""]], ["passage", "Voice of the child", "No theme"], "no row is labelled yet"),
    ([], ["passage", "Voice of the child", "No theme"], "no row is labelled yet"),
])
def test_a_bad_label_sheet_is_refused_naming_the_row_and_column(tmp_path, rows, header, message):
    for suffix in (".csv", ".xlsx"):
        path = _sheet(tmp_path / f"bad{suffix}", rows, header)
        result = CliRunner().invoke(evaluate, ["--gold", str(path), "--model", str(SHIPPED)])
        assert result.exit_code == 2 and "Traceback" not in result.output
        assert f"{path}" in result.output and message in result.output, result.output


def test_a_label_sheet_saved_again_by_excel_is_read_as_excel_saved_it(tmp_path):
    """Excel on Windows saves a plain "CSV" in Windows-1252 (the sheet's titles hold dashes and curly quotes), and
    a workbook is sometimes given a .csv name: both are read, with the same labels as the UTF-8 sheet."""
    rows = [[f"{VOICE_TEXT} The child’s views – and her wishes – were not recorded.", "x", ""],
            [BACKGROUND_TEXT, "", "x"]]
    header = ["passage", "Voice of the child", "No theme"]
    utf8 = _sheet(tmp_path / "utf8.csv", rows, header)
    expected = CliRunner().invoke(evaluate, ["--gold", str(utf8), "--model", str(SHIPPED), "--json"])
    assert expected.exit_code == 0, expected.output
    windows = tmp_path / "windows.csv"
    windows.write_bytes(utf8.read_bytes().decode("utf-8-sig").encode("cp1252"))
    workbook = _sheet(tmp_path / "book.xlsx", rows, header).rename(tmp_path / "book.csv")
    for path in (windows, workbook):
        result = CliRunner().invoke(evaluate, ["--gold", str(path), "--model", str(SHIPPED), "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["themes"] == json.loads(expected.stdout)["themes"]


def test_a_label_sheet_that_is_not_utf8_or_not_excel_says_how_to_save_it(tmp_path):
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"passage,Voice of the child\n" + bytes(range(256)) + b",x\n")  # byte 10 ends line 2
    result = CliRunner().invoke(evaluate, ["--gold", str(binary), "--model", str(SHIPPED)])
    assert result.exit_code == 2 and "line 3: not UTF-8 text" in result.output and "CSV UTF-8" in result.output
    fake = tmp_path / "fake.xlsx"
    fake.write_text("passage,Voice of the child\n", encoding="utf-8")
    result = CliRunner().invoke(evaluate, ["--gold", str(fake), "--model", str(SHIPPED)])
    assert result.exit_code == 2 and "not a readable Excel workbook" in result.output


# --- a theme of the user's own ---------------------------------------------------------------------------------

ONLINE_HARM = """
  - id: online_harm
    name: Online harm
    core: false
    definition: Harm to a child through phones, apps and the internet.
    includes: [grooming through an app]
    excludes: []
    seed_phrases: [online grooming]
"""


def own_models_folder(tmp_path: Path, examples: int) -> Path:
    """A copy of models/ (taxonomy and a few training files) with the theme online_harm added, and ``examples``
    examples about it."""
    models = tmp_path / "my-models"
    models.mkdir()
    (models / "taxonomy.yaml").write_text(TAXONOMY.read_text(encoding="utf-8") + ONLINE_HARM, encoding="utf-8")
    data = small_training_folder(models)
    lines = [{"id": f"oh-{n}", "text": f"A man he met through a game app asked the boy for photographs ({n}).",
              "labels": ["online_harm"]} for n in range(examples)]
    (data / "online_harm.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return models


def test_train_reads_the_taxonomy_beside_its_data_and_refuses_a_theme_with_too_few_examples(tmp_path):
    models = own_models_folder(tmp_path, examples=3)
    args = ["--data", str(models / "training"), "--out", str(tmp_path / "out"), "--no-dev", "--approach", "tfidf"]
    result = CliRunner().invoke(train, args)
    assert result.exit_code == 2
    assert f"taxonomy: {models / 'taxonomy.yaml'} (version" in result.output  # the one beside the data
    assert ("too few examples labelled with this theme of " + str(models / "taxonomy.yaml")) in result.output
    assert "('online_harm' 3; at least 15 are needed" in result.output
    assert not (tmp_path / "out").exists()  # nothing saved: a model that never tags the theme is no model
    # the shipped taxonomy does not know the theme: the error names that taxonomy, and the way to give another
    other = CliRunner().invoke(train, [*args, "--taxonomy", str(TAXONOMY)])
    assert other.exit_code == 2 and "unknown theme id(s) in 'labels': online_harm" in other.output
    assert f"Those are the themes of the taxonomy {TAXONOMY}" in other.output and "--taxonomy" in other.output


def test_a_gold_file_for_another_model_or_with_slips_says_what_to_do(shipped, tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"id": "1", "text": VOICE_TEXT, "labels": ["online_harm"]}) + "\n", encoding="utf-8")
    result = CliRunner().invoke(evaluate, ["--gold", str(gold), "--model", str(SHIPPED)])
    assert result.exit_code == 2 and "unknown theme id(s) in 'labels': online_harm" in result.output
    assert f"Those are the themes of the model {shipped.version}" in result.output and "--model" in result.output
    for record, expected in (
            ({"labels": ["assessment"], "uncertain": ["assessment"]},
             "assessment is in both 'labels' and 'uncertain'"),
            ({"labels": [], "uncertain": "legal_powers"},
             'field \'uncertain\' is one text, "legal_powers", not a list: write it in square brackets, '
             '["legal_powers"]')):
        gold.write_text(json.dumps({"id": "1", "text": VOICE_TEXT, **record}) + "\n", encoding="utf-8")
        result = CliRunner().invoke(evaluate, ["--gold", str(gold), "--model", str(SHIPPED)])
        assert result.exit_code == 2 and f"{gold}, line 1: {expected}" in result.output


def test_a_label_sheet_column_the_model_does_not_have_is_not_left_out_silently(tmp_path):
    sheet = tmp_path / "check.csv"
    sheet.write_text("passage_id,passage,Assessment,Online harm,No theme,pages\n"
                     f"a,{BACKGROUND_TEXT},,x,,1\nb,{LEGAL_TEXT},,,x,2\n", encoding="utf-8")
    result = CliRunner().invoke(evaluate, ["--gold", str(sheet), "--model", str(SHIPPED)])
    assert result.exit_code == 2
    assert (f"{sheet}: the column 'Online harm' has 1 x mark, but the model has no theme of that name") in result.output
    assert "so it would be left out" in result.output and "give that model with --model" in result.output


@pytest.mark.parametrize("given, expected", [
    ("nowhere", "nowhere: no such folder; a theme model is a folder `casereview train` wrote"),
    (".", "not a theme model folder (config.json is missing); the model folders in it: themes-v1 (give one"),
])
def test_a_model_option_that_is_not_a_model_folder_says_what_is(tmp_path, given, expected):
    shutil.copytree(SHIPPED, tmp_path / "themes-v1")
    result = CliRunner().invoke(classify, ["--model", str(tmp_path / given)], input="A passage.\n")
    assert result.exit_code == 2 and expected in result.output
