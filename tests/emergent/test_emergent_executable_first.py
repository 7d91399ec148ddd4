"""`emergent-py emergent SPEC` checks that an emergent executable exists before writing anything
(issue 16, item 9: it wrote the project folder first, then failed)."""
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("extra, looked", [([], "emergent"), (["--emergent", "/opt/none/emergent"], "/opt/none/emergent, emergent")])
def test_no_executable_writes_nothing(tmp_path, reference, extra, looked):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    r = subprocess.run([sys.executable, "-m", "emergent_py", "emergent", str(REPO / "projects" / "RandomAssoc"),
                        "--template", str(reference / "proj_templates" / "LeabraStd.proj"), "-o", "ra.h5", *extra],
                       capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert r.returncode == 2
    assert r.stderr.strip() == (f"emergent-py emergent: error: no emergent executable found (looked for: {looked}); "
                                "pass --emergent PATH or set $EMERGENT")
    assert list(tmp_path.iterdir()) == []
