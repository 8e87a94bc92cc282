"""Settings for the test session as a whole."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest


def pytest_unconfigure(config) -> None:
    """Prefect stops the temporary server a run in this process started when the interpreter exits, and says so
    through its console handler, whose stream (pytest's capture) is closed by then: each worker printed a
    "--- Logging error ---" traceback at the end of the run. Once the tests are over, logging's own errors are
    no longer printed; while they run, they are, as ever."""
    logging.raiseExceptions = False


@pytest.fixture
def broken_taxonomy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A copy of models/taxonomy.yaml that is not valid YAML (a list opened and never closed), in a models folder
    that CASEREVIEW_MODELS names while the test runs; the theme names are read afresh before and after it."""
    from pipeline.outputs import common
    from pipeline.settings import PROJECT_ROOT

    models = tmp_path / "models"
    models.mkdir()
    taxonomy = (PROJECT_ROOT / "models" / "taxonomy.yaml").read_text(encoding="utf-8")
    (models / "taxonomy.yaml").write_text(taxonomy.replace("\nthemes:", "\nthemes: [", 1), encoding="utf-8")
    monkeypatch.setenv("CASEREVIEW_MODELS", str(models))
    common._taxonomy_names.cache_clear()
    yield models / "taxonomy.yaml"
    monkeypatch.delenv("CASEREVIEW_MODELS")
    common._taxonomy_names.cache_clear()
