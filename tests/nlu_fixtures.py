"""Session fixture for the trained intent pipeline, shared by every test that needs it.

Imported into tests/conftest.py. Training (five folds and the final fit, shared among
the cores) takes about a minute on two, while the other workers wait for it; it runs
only when ``build/intent-pipeline`` is missing or older than ``intents/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpbot.nlu.training import ensure_trained
from helpbot.nlu.understanding import Understanding

REPO = Path(__file__).resolve().parent.parent
INTENTS_DIR = REPO / "intents"
PIPELINE_DIR = REPO / "build" / "intent-pipeline"


@pytest.fixture(scope="session")
def understanding() -> Understanding:
    """The real trained pipeline plus knowledge base, loaded once per test session."""
    ensure_trained(INTENTS_DIR, PIPELINE_DIR)
    return Understanding.load(PIPELINE_DIR, INTENTS_DIR)
