"""docs/notebook.md's example runs as written (doctest): build, step a trial / quarter / cycle,
layer variables in the layer's shape, reprs, dir()."""
import doctest
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "notebook.md"


def test_notebook_doc_runs():
    result = doctest.testfile(str(DOC), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 25 and result.failed == 0, result
