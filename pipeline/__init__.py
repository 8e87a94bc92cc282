"""casereview: a text-mining pipeline for child safeguarding case reviews."""

__version__ = "0.1.0"
