"""Settings for the test session as a whole."""

from __future__ import annotations

import logging


def pytest_unconfigure(config) -> None:
    """Prefect stops the temporary server a run in this process started when the interpreter exits, and says so
    through its console handler, whose stream (pytest's capture) is closed by then: each worker printed a
    "--- Logging error ---" traceback at the end of the run. Once the tests are over, logging's own errors are
    no longer printed; while they run, they are, as ever."""
    logging.raiseExceptions = False
