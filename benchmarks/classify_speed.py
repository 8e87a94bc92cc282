"""How many passages per second the classify stage tags, embeddings included, on this machine.

Builds N synthetic paragraph-sized passages (60-120 words) by joining examples from our own training data
(models/training, never shared/), segments them into sentences, then times, in one run:

1. the shipped theme model's ``tag_passages`` with passage embeddings from its encoder and the review-process
   check, as the pipeline calls it (the classify stage, whose embeddings the topics stage reuses; the default
   encoder is the static one distilled from all-MiniLM-L6-v2);
2. the same without computing embeddings (possible only for models that do not need them);
3. the model's encoder alone embedding the same passages;
4. the baselines: the contextual all-MiniLM-L6-v2 as int8 ONNX and with torch sentence-transformers, embedding
   the same passages, and how close the model encoder's passage similarities are to the contextual model's.

Usage:  .venv/bin/python benchmarks/classify_speed.py [N]     (default N = 300)
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from pipeline.records import Block  # noqa: E402
from pipeline.segment import segment  # noqa: E402
from pipeline.themes.model import ThemeModel  # noqa: E402


def synthetic_passages(count: int, seed: int = 0) -> list[str]:
    """Paragraphs of 60-120 words made by joining randomly chosen training examples."""
    texts = [json.loads(line)["text"] for path in sorted((ROOT / "models" / "training").glob("*.jsonl"))
             for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    rng = np.random.default_rng(seed)
    passages = []
    while len(passages) < count:
        target, parts, words = rng.integers(60, 121), [], 0
        while words < target:
            text = texts[rng.integers(len(texts))]
            parts.append(text)
            words += len(text.split())
        passages.append(" ".join(parts))
    return passages


def rate(label: str, count: int, seconds: float) -> float:
    print(f"{label:<58} {count / seconds:8.1f} passages/s  ({seconds:.2f} s for {count})")
    return count / seconds


def main(count: int) -> None:
    texts = synthetic_passages(count)
    blocks = [Block(kind="paragraph", text=text, page_start=1, page_end=1) for text in texts]
    passages = list(segment("benchmark", blocks))
    words = np.mean([len(p.text.split()) for p in passages])
    print(f"{len(passages)} passages, {words:.0f} words on average, {os.cpu_count()} CPU cores")

    model = ThemeModel.load(ROOT / "models" / "themes-v1")
    print(f"model {model.version}: approach {model.approach}, encoder {model.encoder_name}")
    model.tag_passages(passages[:8])  # warm up (loads the encoder)

    start = time.perf_counter()
    tags, vectors = model.tag_passages(passages, drop_review_process=True)
    rate(f"classify stage, embeddings included ({model.encoder_name})", len(passages), time.perf_counter() - start)
    print(f"  {len(tags)} tags, {len(vectors)} embeddings")
    if not model.uses_embeddings:
        start = time.perf_counter()
        model.tag_passages(passages, with_embeddings=False, drop_review_process=True)
        rate("classify stage without embeddings", len(passages), time.perf_counter() - start)
        start = time.perf_counter()
        model.tag_passages(passages, with_embeddings=False)
        rate("  the same without the review-process check", len(passages), time.perf_counter() - start)

    from pipeline.embed import INT8_ENCODER, TORCH_ENCODER, load_encoder

    model_vectors = np.array([vectors[p.passage_id] for p in passages], dtype=np.float32)
    start = time.perf_counter()
    load_encoder(model.encoder_name).encode([p.text for p in passages])
    rate(f"embeddings only: {model.encoder_name}", len(passages), time.perf_counter() - start)

    int8 = load_encoder(INT8_ENCODER)
    int8.encode([p.text for p in passages[:8]])
    start = time.perf_counter()
    onnx_vectors = int8.encode([p.text for p in passages])
    rate(f"baseline embeddings only: {INT8_ENCODER} (contextual)", len(passages), time.perf_counter() - start)
    if model.encoder_name != INT8_ENCODER:
        # a static encoder lives in another vector space: compare which passages each finds similar
        upper = np.triu_indices(len(passages), k=1)
        ours, theirs = (model_vectors @ model_vectors.T)[upper], (onnx_vectors @ onnx_vectors.T)[upper]
        print(f"passage-pair similarities, {model.encoder_name} vs {INT8_ENCODER}: "
              f"Pearson r {np.corrcoef(ours, theirs)[0, 1]:.3f}")

    start = time.perf_counter()
    torch_encoder = load_encoder(TORCH_ENCODER)
    print(f"(torch encoder import and load: {time.perf_counter() - start:.1f} s)")
    torch_encoder.encode([p.text for p in passages[:8]])
    start = time.perf_counter()
    torch_vectors = torch_encoder.encode([p.text for p in passages])
    rate(f"baseline embeddings only: {TORCH_ENCODER} (torch)", len(passages), time.perf_counter() - start)
    cosine = (onnx_vectors * torch_vectors).sum(axis=1)
    print(f"cosine similarity int8 ONNX vs torch: min {cosine.min():.4f}, mean {cosine.mean():.4f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
