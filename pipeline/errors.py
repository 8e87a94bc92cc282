"""Errors a user can act on: each names the input that was wrong and says what to do."""


class CaseReviewError(Exception):
    """Base class for errors shown to users (the CLI prints them without a traceback)."""


class ManifestError(CaseReviewError):
    """A manifest row or file is invalid."""


class FetchError(CaseReviewError):
    """A source could not be fetched."""


class ExtractError(CaseReviewError):
    """A document could not be turned into text (corrupt, encrypted, not a PDF)."""


class DatabaseBusy(CaseReviewError):
    """The database is being written (a run, a removal): reading it has to wait a moment."""


class RunStopped(BaseException):
    """The run was told to stop (Ctrl+C, SIGTERM) while this review was being read: the review is neither read
    nor recorded as failed. A BaseException, as KeyboardInterrupt is, so that no handler of failures takes it
    for one."""


def duration_text(seconds: float) -> str:
    """A time limit as a message gives it: '30 minutes', '90 seconds', '0.5 seconds'.

    >>> duration_text(1800), duration_text(90), duration_text(0.5)
    ('30 minutes', '90 seconds', '0.5 seconds')
    """
    if seconds >= 120 and seconds % 60 == 0:
        return f"{seconds / 60:g} minutes"
    return f"{seconds:g} seconds"
