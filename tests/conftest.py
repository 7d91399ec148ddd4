"""Shared test fixtures.

Reference files come from the shared folder beside the repository (``../shared``), which CI
lays next to its clone. Under CI (``CI=true``) a missing shared folder is a failure, not a skip.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("EMERGENT_PY_SHARED", REPO.parent / "shared"))
REFERENCE = SHARED / "reference" / "emergent"
IN_CI = os.environ.get("CI", "").lower() == "true"


def need_shared() -> Path:
    if not REFERENCE.is_dir():
        if IN_CI:
            pytest.fail(f"reference files missing: {REFERENCE} (CI lays shared/ beside the clone)")
        pytest.skip(f"reference files not found at {REFERENCE}")
    return REFERENCE


@pytest.fixture
def reference() -> Path:
    """Path of ../shared/reference/emergent (real emergent files)."""
    return need_shared()
