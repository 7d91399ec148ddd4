"""The user docs point only at files users have, and every project folder has a README that
says what it models, how to run it and what it shows (issue 16, item 16)."""
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), *sorted((REPO / "projects").glob("*/README.md")),
        REPO / "projects" / "README.md"]
# the developers' reference folder beside the clone, which users do not have
SHARED = re.compile(r"(?<![\w/])(\.\./)?shared/(spec|reference|tools|design)\b")
# repository paths named in backticks or links: docs/x.md, scripts/..., projects/..., tests/..., hpc/...
REPO_PATH = re.compile(r"[`(]((?:docs|scripts|projects|tests|benchmarks|hpc|emergent_py)/[\w./-]+?)[`)#]")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_docs_name_no_file_users_lack(doc):
    text = doc.read_text()
    assert not SHARED.findall(text), [m.group(0) for m in SHARED.finditer(text)]
    for path in REPO_PATH.findall(text):
        path = path.rstrip(".")
        if any(ch in path for ch in "*<>") or path.endswith("/NNN"):
            continue
        path = re.sub(r"^emergent_py/hpc/", "hpc/", path)        # (hpc/ is installed as emergent_py.hpc)
        assert (REPO / path).exists() or (REPO / path.split(":")[0]).exists(), (doc.name, path)


@pytest.mark.parametrize("project", sorted(p.parent.name for p in (REPO / "projects").glob("*/model.py")))
def test_every_project_has_a_readme(project):
    readme = REPO / "projects" / project / "README.md"
    assert readme.is_file()
    text = readme.read_text()
    assert f"emergent-py run projects/{project}" in text                 # how to run it
    assert "**Model.**" in text                                                # what it models
    assert "**What it shows.**" in text or "**Expected result" in text       # what it shows
