"""Would labelled real sentences help? Train with some of them and score the others.

The theme model is trained on our own writing and scores much lower on real text (the development set of real
sentences, ``../shared/eval/dev_themes.jsonl``) than on our held-out examples. This measures what adding real
labelled sentences to the training data does, in one run, with the shipped model's approach and settings
(TF-IDF, the same thresholds rule; ``--bags`` draws of mixed passages, 1 by default to keep the run short):

1. baseline: our training split only (the shipped model's data), scoring every development sentence;
2. other documents: each development sentence is scored by a model also trained on the development sentences
   of the *other* documents (found by looking each sentence up in ``../shared/corpus/*.txt``): what labels
   from earlier reviews would do for a new one. Each real sentence counts once, and then three times;
3. same documents: 5-fold, each sentence scored by a model also trained on the other four fifths, which hold
   sentences of its own document (an optimistic case: the model has read its neighbours).

Predictions of the folds are pooled and scored together: F1 per core theme with real examples, macro-F1 over
them, and macro-F1 per document. Items' uncertain themes are left out of scoring as in ``casereview
evaluate``; as training rows, a development sentence carries only its agreed labels. Nothing here is saved,
and no sentence is printed. Reads ``../shared`` in place; takes about 5 minutes on 2 cores.

Usage:  .venv/bin/python benchmarks/real_labels.py [--bags N] [--seed N]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.segment import split_sentences  # noqa: E402
from pipeline.themes import approaches as ap  # noqa: E402
from pipeline.themes.data import Example, is_held_out, load_gold, load_training_data  # noqa: E402
from pipeline.themes.evaluate import evaluate  # noqa: E402
from pipeline.themes.scoring import score_texts  # noqa: E402
from pipeline.themes.taxonomy import load_taxonomy  # noqa: E402
from pipeline.themes.train import FOLDS, choose_thresholds, label_matrix  # noqa: E402

SHARED = ROOT.parent / "shared"
DEV = SHARED / "eval" / "dev_themes.jsonl"
CORPUS = SHARED / "corpus"
LOOKUP_CHARS = 80  # a sentence's opening, normalised, is looked up in each document


def documents_of(items: list[Example]) -> list[str]:
    """The corpus document each development sentence comes from (by its opening characters)."""
    texts = {path.stem: _squeeze(path.read_text(encoding="utf-8")) for path in sorted(CORPUS.glob("*.txt"))}
    found = []
    for item in items:
        opening = _squeeze(item.text)[:LOOKUP_CHARS]
        names = [name for name, text in texts.items() if opening in text]
        found.append(names[0] if names else "(not found)")
    return found


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def fit_and_tag(train: list[Example], items: list[Example], themes: list[str], seed: int, bags: int) -> list[set]:
    """Fit the shipped approach on ``train`` (thresholds from its out-of-fold scores); tag ``items``."""
    from sklearn.model_selection import KFold

    labels = label_matrix(train, themes)
    folds = list(KFold(n_splits=FOLDS, shuffle=True, random_state=seed).split(np.arange(len(train))))
    classifier, out_of_fold = ap.TfidfClassifier.fit([e.text for e in train], labels, folds, seed, bags=bags)
    thresholds = choose_thresholds(out_of_fold, labels, themes)
    row = np.array([thresholds[t] for t in themes])
    probabilities, _ = score_texts(classifier, [e.text for e in items], split_sentences([e.text for e in items]))
    return [{t for t, hit in zip(themes, tagged, strict=True) if hit} for tagged in probabilities >= row]


def as_training_rows(items: list[Example], copies: int) -> list[Example]:
    return [replace(e, id=f"real-{e.id}-{k}", uncertain=frozenset()) for e in items for k in range(copies)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bags", type=int, default=1, help="draws of mixed passages per fit (shipped: 5)")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    if not DEV.is_file() or not any(CORPUS.glob("*.txt")):
        sys.exit(f"needs {DEV} and {CORPUS}/*.txt (the shared development set and corpus)")
    taxonomy = load_taxonomy()
    themes, core = taxonomy.ids, taxonomy.core_ids
    ours = [e for e in load_training_data(ROOT / "models" / "training", taxonomy) if not is_held_out(e.id)]
    dev = load_gold(DEV, themes)
    documents = documents_of(dev)
    names = sorted(set(documents))
    print(f"{len(ours)} training examples of ours; {len(dev)} real sentences from {len(names)} documents: "
          + ", ".join(f"{name} {documents.count(name)}" for name in names))
    print(f"approach: tfidf, seed {args.seed}, {args.bags} draw(s) of mixed passages per fit\n")

    def pooled(splits: list[tuple[list[int], list[int]]], copies: int) -> list[set]:
        tags: list[set] = [set()] * len(dev)
        for train_rows, test_rows in splits:
            extra = as_training_rows([dev[i] for i in train_rows], copies)
            for i, tagged in zip(test_rows, fit_and_tag(ours + extra, [dev[i] for i in test_rows], themes,
                                                        args.seed, args.bags), strict=True):
                tags[i] = tagged
        return tags

    everything = list(range(len(dev)))
    by_document = [([i for i in everything if documents[i] != name], [i for i in everything if documents[i] == name])
                   for name in names]
    from sklearn.model_selection import KFold

    five_fold = [(list(a), list(b)) for a, b in KFold(n_splits=5, shuffle=True, random_state=0).split(everything)]
    runs = [("ours only (baseline)", [([], everything)], 1),
            ("+ other documents' sentences, x1", by_document, 1),
            ("+ other documents' sentences, x3", by_document, 3),
            ("+ same documents' sentences (5-fold), x1", five_fold, 1)]
    scored = [t for t in core if any(t in e.labels for e in dev)]
    short = {name: name.split("-")[0] for name in names}
    header = f"{'training data':44} {'core F1':>8} " + " ".join(f"{t[:12]:>12}" for t in scored) + "   per document"
    print(header)
    for label, splits, copies in runs:
        start = time.perf_counter()
        tags = pooled(splits, copies)
        report = evaluate(dev, tags, themes, core)
        per_document = {short[name]: evaluate([dev[i] for i in everything if documents[i] == name],
                                              [tags[i] for i in everything if documents[i] == name], themes,
                                              core)["macro_core"]["f1"] for name in names}
        print(f"{label:44} {report['macro_core']['f1']:8.3f} "
              + " ".join(f"{report['themes'][t]['f1'] or 0:12.2f}" for t in scored) + "   "
              + ", ".join(f"{k} {v:.2f}" for k, v in per_document.items())
              + f"   ({time.perf_counter() - start:.0f} s)", flush=True)
    print("\ncore F1: macro-F1 over the core themes with real examples, all folds' predictions pooled.")


if __name__ == "__main__":
    main()
