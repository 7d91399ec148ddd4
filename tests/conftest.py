"""Shared test fixtures.

Reference files come from the shared folder beside the repository (``../shared``), which CI
lays next to its clone. Under CI (``CI=true``) a missing shared folder is a failure, not a skip.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from ci_support import missing

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("EMERGENT_PY_SHARED", REPO.parent / "shared"))
REFERENCE = SHARED / "reference" / "emergent"


def need_shared() -> Path:
    if not REFERENCE.is_dir():
        missing(f"reference files not found at {REFERENCE}: lay the shared/ folder beside the clone "
                f"(CI does) or set EMERGENT_PY_SHARED")
    return REFERENCE


@pytest.fixture(scope="session")        # (a path: module-scoped fixtures may use it)
def reference() -> Path:
    """Path of ../shared/reference/emergent (real emergent files)."""
    return need_shared()
