"""Errors a user can act on: each names the input that was wrong and says what to do."""


class CaseReviewError(Exception):
    """Base class for errors shown to users (the CLI prints them without a traceback)."""


class ManifestError(CaseReviewError):
    """A manifest row or file is invalid."""


class FetchError(CaseReviewError):
    """A source could not be fetched."""


class ExtractError(CaseReviewError):
    """A document could not be turned into text (corrupt, encrypted, not a PDF)."""
