"""Fixtures for the native-core tests: the BasicLeabraTest model and emergent's reference runs."""
from __future__ import annotations

from pathlib import Path

import pytest

from emergent_py.spec import load_model

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def basic_model():
    """emergent's basic_leabra_test network as a spec (projects/BasicLeabraTest)."""
    return load_model(REPO / "projects" / "BasicLeabraTest")
