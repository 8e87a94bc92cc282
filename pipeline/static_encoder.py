"""A static (context-free) sentence encoder distilled from all-MiniLM-L6-v2, for speed.

Running the transformer over every passage costs about 50 ms a passage on this project's 2-core machines, ten
times too slow for the classify stage's target of 200 passages a second. A static encoder gives each word piece
one fixed vector and embeds a text as the weighted mean of its pieces' vectors: thousands of passages a second,
with ranking quality close to the transformer's on our theme data (see ``models/themes-v1/MODEL_CARD.md``).

How it is built (the Model2Vec recipe, done with the installed model only, nothing downloaded):

1. every word piece of the MiniLM vocabulary goes through the int8 ONNX transformer on its own
   (``[CLS] piece [SEP]``) and its mean-pooled output becomes the piece's vector;
2. PCA reduces the vectors to 256 dimensions (which also removes the component all pieces share);
3. each vector is multiplied by a smooth-inverse-frequency weight ``a / (a + p)``, with ``p`` the Zipf
   probability of the piece's frequency rank. The uncased BERT vocabulary lists whole words roughly from most to
   least frequent after its 1,996 reserved and single-character entries, so a piece's rank is its position after
   those; frequent words ("the", "of") weigh little, rare content words much.

The result is written once to ``models/encoders/all-MiniLM-L6-v2-static/`` (not in git: it is rebuilt from the
installed package by ``make install`` or on first use, in about 40 s, and the same installed model gives the same
vectors).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

STATIC_ENCODER = "all-MiniLM-L6-v2-static"
VECTORS, TOKENIZER, CONFIG = "vectors.npy", "tokenizer.json", "static.json"
DIMENSION = 256
SIF_A = 1e-3
FIRST_WORD_ID = 1990  # the uncased BERT vocabulary: reserved entries and single characters come first
RECIPE_VERSION = 1

_BUILD_LOCK = threading.Lock()


class StaticEncoder:
    """Embeds a text as the L2-normalised sum of its word pieces' (pre-weighted) static vectors.

    Parameters
    ----------
    folder : Path
        A folder written by :func:`build_static_encoder` (``vectors.npy``, ``tokenizer.json``, ``static.json``).
    name : str, optional
        Recorded with the vectors; defaults to the folder's configured name.
    """

    def __init__(self, folder: Path, name: str | None = None):
        from tokenizers import Tokenizer

        folder = Path(folder)
        config = json.loads((folder / CONFIG).read_text(encoding="utf-8"))
        self.name = name or config["name"]
        self.folder = folder
        self.vectors = np.load(folder / VECTORS).astype(np.float32)
        self.dimension = int(self.vectors.shape[1])
        self.tokenizer = Tokenizer.from_file(str(folder / TOKENIZER))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()

    def encode(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        """Vectors for ``texts``, one row each in input order (an empty text gives a zero row)."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            chunk = list(texts[start:start + batch_size])
            encoded = self.tokenizer.encode_batch(chunk, add_special_tokens=False)
            lengths = np.array([len(e.ids) for e in encoded])
            if not lengths.sum():
                continue
            ids = np.concatenate([np.asarray(e.ids, dtype=np.int64) for e in encoded if e.ids])
            rows = np.flatnonzero(lengths)
            offsets = np.concatenate([[0], np.cumsum(lengths[rows])[:-1]])
            out[start + rows] = np.add.reduceat(self.vectors[ids], offsets, axis=0)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)


def static_folder() -> Path:
    """Where the static MiniLM encoder lives: ``models/encoders/all-MiniLM-L6-v2-static``."""
    from pipeline.settings import models_dir

    return models_dir() / "encoders" / STATIC_ENCODER


def load_static_encoder(folder: Path | None = None, log=None) -> StaticEncoder:
    """Load the static MiniLM encoder, building it first (about 40 s, once) if it is not there yet."""
    folder = Path(folder) if folder else static_folder()
    if not (folder / CONFIG).is_file():
        with _BUILD_LOCK:
            if not (folder / CONFIG).is_file():
                (log or _stderr)(f"building the static encoder {STATIC_ENCODER} from the installed all-MiniLM-L6-v2 "
                                 f"into {folder} (once, about 40 s) ...")
                build_static_encoder(folder)
    return StaticEncoder(folder)


def build_static_encoder(folder: Path, dimension: int = DIMENSION, sif_a: float = SIF_A) -> Path:
    """Distil the installed int8 ONNX all-MiniLM-L6-v2 into a static encoder folder (see the module docstring).

    The folder is written under a temporary name and renamed into place, so a crash or a second process never
    sees half an encoder.
    """
    from sklearn.decomposition import PCA

    from pipeline.embed import INT8_ENCODER, load_encoder, minilm_folder

    transformer = load_encoder(INT8_ENCODER)
    raw = piece_vectors(transformer)
    reduced = PCA(n_components=dimension, svd_solver="full").fit_transform(raw.astype(np.float64))
    weighted = (reduced * sif_weights(len(raw), sif_a)[:, None]).astype(np.float16)

    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        np.save(staging / VECTORS, weighted)
        shutil.copyfile(minilm_folder() / "tokenizer.json", staging / TOKENIZER)
        config = {"name": STATIC_ENCODER, "recipe_version": RECIPE_VERSION, "source": INT8_ENCODER,
                  "method": "per-piece transformer output, PCA, smooth inverse frequency weights (Model2Vec recipe)",
                  "dimension": dimension, "sif_a": sif_a, "first_word_id": FIRST_WORD_ID,
                  "vocabulary": len(raw),
                  "vectors_sha256": hashlib.sha256((staging / VECTORS).read_bytes()).hexdigest()}
        (staging / CONFIG).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        if (folder / CONFIG).is_file():  # another process finished first: keep its (identical) encoder
            return folder
        if folder.exists():  # a leftover without its config
            shutil.rmtree(folder)
        try:
            os.replace(staging, folder)
        except OSError:
            if not (folder / CONFIG).is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def piece_vectors(transformer, batch_size: int = 1024) -> np.ndarray:
    """Each vocabulary piece's mean-pooled transformer output for the input ``[CLS] piece [SEP]``."""
    vocab = transformer.tokenizer.get_vocab()
    size = max(vocab.values()) + 1
    cls, sep = vocab["[CLS]"], vocab["[SEP]"]
    out = np.zeros((size, transformer.dimension), dtype=np.float32)
    for start in range(0, size, batch_size):
        ids = np.arange(start, min(start + batch_size, size), dtype=np.int64)
        batch = np.stack([np.full_like(ids, cls), ids, np.full_like(ids, sep)], axis=1)
        hidden = transformer.session.run(None, {"input_ids": batch, "attention_mask": np.ones_like(batch),
                                                "token_type_ids": np.zeros_like(batch)})[0]
        out[start:start + len(ids)] = hidden.mean(axis=1)
    return out


def sif_weights(size: int, a: float = SIF_A) -> np.ndarray:
    """``a / (a + p)`` per piece, ``p`` the Zipf probability of its frequency rank (see the module docstring)."""
    rank = np.maximum(np.arange(size) - FIRST_WORD_ID, 1).astype(np.float64)
    probability = 1.0 / (rank * np.log(size))
    return a / (a + probability)


def _stderr(message: str) -> None:
    import sys

    print(message, file=sys.stderr, flush=True)
