"""How well passages are tagged when scored as a whole only, against the pipeline's rule (whole or any sentence).

The pipeline tags passages of several sentences, but the labelled text we have is sentences. This groups
them into passages and labels each passage with the union of its sentences' labels (a theme that is
`uncertain` in one of the sentences and labelled in none is left out of that theme's score), then scores the
shipped model (its own thresholds, nothing tuned here) two ways, in one run:

1. baseline: the passage's probability as a whole only;
2. the rule the pipeline uses (``pipeline.themes.scoring``): the higher of the passage's probability and its
   best sentence's.

Two sources: the real sentences of ``../shared/eval/dev_themes.jsonl`` (read in place), grouped K at a time
in file order; and our own held-out training examples (never trained on), grouped K at a time at random, and
also one at a time (K = 1, where the rule can only add false positives from a single sentence of a longer
example). Prints precision/recall/F1 per theme and macro-F1 over the core themes with labels in the set.

Usage:  .venv/bin/python benchmarks/theme_passages.py [MODEL_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.segment import split_sentences  # noqa: E402
from pipeline.themes.data import Example, is_held_out, load_gold, load_training_data  # noqa: E402
from pipeline.themes.model import ThemeModel  # noqa: E402
from pipeline.themes.scoring import passage_rule  # noqa: E402
from pipeline.themes.taxonomy import load_taxonomy  # noqa: E402

DEV = ROOT.parent / "shared" / "eval" / "dev_themes.jsonl"


def grouped(items: list[Example], size: int, shuffle_seed: int | None) -> list[list[Example]]:
    order = np.arange(len(items)) if shuffle_seed is None else np.random.default_rng(shuffle_seed).permutation(
        len(items))
    return [[items[i] for i in order[start:start + size]] for start in range(0, len(items) - size + 1, size)]


def scores(model: ThemeModel, groups: list[list[Example]]) -> dict[str, np.ndarray]:
    texts = [" ".join(e.text for e in group) for group in groups]
    sentences = [[s for e in group for s in split_sentences([e.text])[0]] for group in groups]
    whole, by_sentence = model.classifier.predict_passages(texts, sentences)
    return {"whole passage only": whole, "whole or any sentence": passage_rule(whole, by_sentence)}


def table(model: ThemeModel, groups: list[list[Example]], probabilities: np.ndarray) -> tuple[str, float]:
    cells, core_f1 = [], []
    for j, theme in enumerate(model.themes):
        tp = fp = fn = 0
        for group, row in zip(groups, probabilities, strict=True):
            gold = any(theme in e.labels for e in group)
            if not gold and any(theme in e.uncertain for e in group):
                continue
            tagged = row[j] >= model.thresholds[theme]
            tp, fp, fn = tp + (gold and tagged), fp + (tagged and not gold), fn + (gold and not tagged)
        if tp + fn == 0:
            continue
        f1 = 2 * tp / (2 * tp + fp + fn)
        cells.append(f"{theme[:12]:>12} {f1:.2f} ({tp + fn})")
        if theme in model.core_themes:
            core_f1.append(f1)
    return "  ".join(cells), float(np.mean(core_f1))


def main() -> None:
    model = ThemeModel.load(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "models" / "themes-v1")
    if not hasattr(model.classifier, "predict_passages"):
        sys.exit(f"{model.folder}: this benchmark needs a TF-IDF model (approach {model.approach})")
    taxonomy = load_taxonomy(ROOT / "models" / "taxonomy.yaml")
    held_out = [e for e in load_training_data(ROOT / "models" / "training", taxonomy) if is_held_out(e.id)]
    sources = []
    if DEV.is_file():
        dev = load_gold(DEV, model.themes)
        sources += [(f"real sentences ({DEV.name}), {k} per passage", grouped(dev, k, None)) for k in (3, 5)]
    else:
        print(f"({DEV} not found: real-text rows skipped)")
    sources += [(f"our held-out examples, {k} per passage", grouped(held_out, k, 0 if k > 1 else None))
                for k in (1, 3)]
    print(f"Model {model.version}; F1 per theme (passages with the theme in brackets), own thresholds\n")
    for title, groups in sources:
        print(f"{title}: {len(groups)} passages")
        results = {}
        for rule, probabilities in scores(model, groups).items():
            cells, results[rule] = table(model, groups, probabilities)
            print(f"  {rule:22} core macro-F1 {results[rule]:.3f} | {cells}")
        base, rule = results["whole passage only"], results["whole or any sentence"]
        print(f"  ratio (rule / baseline): {rule / base:.2f}\n")


if __name__ == "__main__":
    main()
