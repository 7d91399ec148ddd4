"""The real world: every emergent project of the reference (cemer's demo/, patch_gen/ and
proj_templates/) with an 8.x header and a LeabraNetwork, one row each: it parses, it imports,
it runs a few trials natively, or it is refused with a message that names the missing feature.

``python tests/emergent/test_cemer_projects.py`` prints the table as measured now (markdown).
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

from emergent_py.emergent.dump import Dump
from emergent_py.emergent.project import import_project
from emergent_py.errors import BackendError, SpecError
from emergent_py.leabra.run import Run

# (project, imported, ran, refused because: what the message names)
#: what the PBWM wizard's projects use that the native core lacks (PVLV, basal ganglia, PFC, deep)
PBWM = ("BasAmygConSpec, BasAmygUnitSpec, BgPfcPrjnSpec, DRNUnitSpec, DeepCtxtConSpec, ExtRewLayerSpec, "
        "GPiInvUnitSpec, LHbRMTgUnitSpec, LatAmygConSpec, LeabraDeltaConSpec, "
        "MSNConSpec, MSNUnitSpec, MarkerConSpec, PFCUnitSpec, PPTgUnitSpec, PatchUnitSpec, "
        "SendDeepModConSpec, SendDeepRawConSpec, TANUnitSpec, VTAUnitSpec")
PVLV = ("BasAmygConSpec, BasAmygUnitSpec, DRNUnitSpec, ExtRewLayerSpec, LHbRMTgUnitSpec, "
        "LatAmygConSpec, MSNConSpec, MSNUnitSpec, MarkerConSpec, PPTgUnitSpec, SendDeepModConSpec, "
        "SendDeepRawConSpec, VTAUnitSpec")
NO_TABLE = "no input data table (.data.gp[0][0] is missing and no LeabraTrain input_data names one)"

# (project, imported, ran, refused because: the spec types it names, or what its message says)
TABLE = [
    ("demo/leabra/ax_tutorial.proj", False, False, "network 'Network_1' has no layers"),
    ("demo/leabra/ax_tutorial_cptax.proj", True, True, ""),
    ("demo/leabra/ax_tutorial_cptax_pfcbg.proj", False, False, PBWM),
    ("demo/leabra/ax_tutorial_final.proj", True, True, ""),
    ("demo/leabra/basic_leabra_test.proj", True, True, ""),
    ("demo/leabra/basic_leabra_test_unitinhib.proj", True, True, ""),       # inhib=true projection
    ("demo/leabra/err_driven_hidden.proj", True, True, ""),
    ("demo/leabra/param_search.proj", True, True, ""),
    ("demo/leabra/scalar_val_test.proj", True, True, ""),          # ScalarVal layers, self_fb (SV3)
    # (its GaussRF projections import: tests/emergent/test_project_prjns.py; all layers are hidden)
    ("demo/network_misc/projection_sampler.proj", False, False, NO_TABLE),
    ("demo/programs/program_examples.proj", True, True, ""),
    # (their ScalarVal layers import: what is refused is the other types)
    ("demo/virt_env/cereb_arm.proj", False, False, "CerebGranuleUnitSpec, CerebPfPcConSpec"),
    ("demo/virt_env/ve_arm.proj", False, False, "TwoDValLayerSpec"),
    ("demo/virt_env/vis_test.proj", False, False, NO_TABLE),            # inputs made at run time
    ("demo/virt_env/vis_test_shadow.proj", False, False, NO_TABLE),
    *[(f"patch_gen/{name}.proj", True, True, "") for name in (
        "LeabraFlex_10389_v804", "LeabraFlex_10389_v804_patch1", "LeabraFlex_10389_v804_patch2",
        "LeabraFlex_10389_v804_updt", "LeabraFlex_10461_v805_testall", "LeabraFlex_10609_v807_nolog",
        "LeabraFlex_10609_v807_nolog_patch1", "LeabraFlex_10669_v807", "LeabraFlex_10713_v808",
        "LeabraFlex_9721_v801", "LeabraStd_10444_v804", "LeabraStd_10591_v807", "LeabraStd_10715_v808",
        "LeabraStd_9721_v801")],
    ("patch_gen/pbwm_wizard_v804.proj", False, False, PBWM),
    ("patch_gen/pbwm_wizard_v810.proj", False, False, PBWM),
    ("patch_gen/pvlv_wizard_v804.proj", False, False, PVLV),
    ("patch_gen/pvlv_wizard_v810.proj", False, False, PVLV),
    ("proj_templates/LeabraFlex.proj", True, True, ""),
    ("proj_templates/LeabraStd.proj", True, True, ""),
]
#: the counts the table holds (parsed, imported, ran, refused)
COUNTS = (35, 24, 24, 11)

_HEADER_8 = re.compile(r"// ta_Dump File v[\d.]+ -- code v8\.")
_LEABRA_NET = re.compile(r"^\s*LeabraNetwork @\S+ \{", re.M)
#: 'layer spec 'X' is a ScalarValLayerSpec, which the native core does not implement'
_NOT_NATIVE = re.compile(r" is an? (\w+), which the native core does not implement")


def cemer(reference: Path) -> Path:
    return reference / "cemer"


def leabra_8_projects(root: Path) -> list[str]:
    """The projects with an 8.x header and a LeabraNetwork, relative to ``root``."""
    out = []
    for f in sorted(root.rglob("*.proj")):
        text = f.read_text(errors="replace")
        if _HEADER_8.match(text) and _LEABRA_NET.search(text):
            out.append(f.relative_to(root).as_posix())
    return out


def measure(path: Path) -> tuple[bool, bool, str]:
    """(imported, ran 2 trials, what the refusal names) for one project."""
    Dump.read(path)                                   # parses (FormatError otherwise)
    try:
        model = import_project(path).model
    except SpecError as e:
        return False, False, _reason(str(e))
    try:
        run = Run(model, seed=1)
        rows = [run.trial() for _ in range(2)]
    except BackendError as e:
        return True, False, _reason(str(e))
    assert all(np.isfinite(r["sse"]) for r in rows), f"{path}: non-finite sse {rows}"
    return True, True, ""


def _reason(msg: str) -> str:
    """The spec types a refusal names (sorted), else the message without the file name."""
    types = sorted(set(_NOT_NATIVE.findall(msg)))
    return ", ".join(types) if types else re.sub(r"^\S+\.proj(:\d+)?: ", "", msg)


def test_table_covers_every_8x_leabra_project(reference):
    assert [row[0] for row in TABLE] == leabra_8_projects(cemer(reference))
    assert COUNTS == (len(TABLE), sum(r[1] for r in TABLE), sum(r[2] for r in TABLE),
                      sum(not r[2] for r in TABLE))


@pytest.mark.parametrize("row", TABLE, ids=[r[0] for r in TABLE])
def test_project(reference, row):
    name, imported, ran, because = row
    got_imported, got_ran, reason = measure(cemer(reference) / name)
    assert (got_imported, got_ran) == (imported, ran), reason
    if because and because.endswith("Spec"):     # exactly these types, each named
        assert reason == because
    else:                                        # the message says this
        assert because in reason and bool(because) == bool(reason)


if __name__ == "__main__":       # print the table as measured now
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from conftest import need_shared
    root = cemer(need_shared())
    rows = [(p, *measure(root / p)) for p in leabra_8_projects(root)]
    print("| project | parsed | imported | ran | refused because |\n|---|---|---|---|---|")
    for p, imp, ran, why in rows:
        print(f"| {p} | yes | {'yes' if imp else 'no'} | {'yes' if ran else 'no'} | {why[:160]} |")
    print(f"\n{len(rows)} projects: parsed {len(rows)}, imported {sum(r[1] for r in rows)}, "
          f"ran {sum(r[2] for r in rows)}, refused {sum(not r[2] for r in rows)}")
