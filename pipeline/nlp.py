"""The project's spaCy pipeline: blank English, a sentencizer and a lookup lemmatizer, saved with the project.

No model is downloaded: the lemma table comes from the installed ``spacy-lookups-data`` package, and the
built pipeline is saved under ``models/spacy-en`` so every run loads the same one.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pipeline.settings import imports_refused, models_dir


def _import_spacy_without_torch():
    """Import spaCy without letting its ML library (thinc) import torch, which it does whenever torch is installed.

    That costs about 2.5 s at every start of a command, and nothing here runs spaCy with torch (the pipeline is
    a sentencizer and a lookup table). ``import torch`` is made to fail only while spaCy is imported; torch
    itself stays importable afterwards for the code that needs it (the torch sentence encoder).
    """
    with imports_refused("torch"):
        import spacy
    return spacy


spacy = _import_spacy_without_torch()
from spacy.language import Language  # noqa: E402

NLP_FOLDER = "spacy-en"
# The longest text one passage-splitting call takes: far beyond any review's paragraph (a 500-page review
# holds about 1.5 million characters in all).
MAX_TEXT_CHARS = 100_000_000


def build_nlp() -> Language:
    """Build the pipeline from installed packages (sentencizer + lookup lemmatizer)."""
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp


def save_nlp(path: Path) -> Path:
    """Build the pipeline and save it (with its lemma table) to ``path``."""
    nlp = build_nlp()
    path.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(path)
    return path


@lru_cache(maxsize=2)
def load_nlp(path: Path | None = None) -> Language:
    """Load the saved pipeline (``models/spacy-en`` by default); build it in memory if it is missing."""
    folder = path or models_dir() / NLP_FOLDER
    nlp = spacy.load(folder) if (folder / "config.cfg").exists() else build_nlp()
    # spaCy refuses texts over 1,000,000 characters, a guard for its parser and entity recogniser, which need
    # about 1 GB per 100,000 words; this pipeline has neither (a tokenizer, a sentencizer and a lookup table),
    # and a PDF whose text has no paragraph breaks comes as one block that long: 1.2 million characters take
    # under a second and about 180 MB. Refused, it stopped the whole run.
    nlp.max_length = MAX_TEXT_CHARS
    return nlp

