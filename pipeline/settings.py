"""Paths and defaults, overridable by environment variables (the CLI's options set these too)."""

from __future__ import annotations

import os
from pathlib import Path

from pipeline import __version__

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Bump when extraction, segmentation or classification changes output: a re-run then reprocesses documents.
PIPELINE_VERSION = f"{__version__}+p21"
USER_AGENT = f"casereview/{__version__} (+https://github.com/casereview/casereview; case-review text mining)"


def outputs_dir() -> Path:
    return Path(os.environ.get("CASEREVIEW_OUTPUTS", PROJECT_ROOT / "outputs"))


def default_db() -> Path:
    return Path(os.environ.get("CASEREVIEW_DB", outputs_dir() / "casereview.duckdb"))


def models_dir() -> Path:
    return Path(os.environ.get("CASEREVIEW_MODELS", PROJECT_ROOT / "models"))


def quiet_third_parties() -> None:
    """No telemetry, no hub downloads, no Prefect server: everything runs offline."""
    for key, value in {
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }.items():
        os.environ.setdefault(key, value)
