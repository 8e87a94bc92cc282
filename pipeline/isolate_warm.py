"""Imported once by the fork server that reads documents (see :mod:`pipeline.isolate`).

Each document is read in a process forked from that server, so what the server has loaded every child has
for free: the English word list that judges whether a text layer is garbled (0.2 s to load) and the OCR
engine's module. Loaded here, they cost once per run instead of once per document.
"""

from pipeline import ocr
from pipeline.lexicon import log_probability

log_probability("review")  # loads the word list
ocr.available()  # imports the OCR engine, when it is installed
