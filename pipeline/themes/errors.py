"""The error raised for theme problems a user can act on (a bad taxonomy, training file or model folder)."""

from __future__ import annotations

from pipeline.errors import CaseReviewError


class ThemeError(CaseReviewError):
    """A taxonomy, training or gold file, or model folder, is invalid: the message names it and says why."""


class UnknownThemeError(ThemeError):
    """A file names a theme the taxonomy or model does not have."""
