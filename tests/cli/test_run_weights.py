"""`run --weights INIT.wts` with the model's own initial weights is the plain run, bitwise: the
given weights leave the seeded stream (and so every epoch's trial order) where the plain run has
it (issue 16, item 2)."""
from pathlib import Path

import numpy as np

from emergent_py.cli import main
from emergent_py.leabra.network import Network
from emergent_py.results import RunFile
from emergent_py.spec import load_model

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "projects" / "RandomAssoc"


def trial_log(path):
    with RunFile(path) as rf:
        t = rf.trials
        return {name: np.array(t[name]) for name in t}


def test_run_from_the_models_own_initial_weights_is_the_plain_run_bitwise(tmp_path, reference):
    # the user's commands: proj --init-weights writes RA_init.wts; run --weights starts from it
    template = reference / "proj_templates" / "LeabraStd.proj"
    assert main(["proj", str(EXAMPLE), "-o", str(tmp_path / "RA.proj"), "--template", str(template),
                 "--init-weights"]) == 0
    assert main(["run", str(EXAMPLE), "-q", "-o", str(tmp_path / "plain.h5")]) == 0
    assert main(["run", str(EXAMPLE), "-q", "--weights", str(tmp_path / "RA_init.wts"),
                 "-o", str(tmp_path / "given.h5")]) == 0
    plain, given = trial_log(tmp_path / "plain.h5"), trial_log(tmp_path / "given.h5")
    assert list(plain) == list(given)
    assert len(plain["trial_name"]) == 23 * 25          # 23 epochs of the 25 patterns
    for name in plain:
        assert np.array_equal(plain[name], given[name]), name


def test_given_weights_leave_the_trial_order_stream_as_in_the_plain_run(tmp_path):
    # also with weights that differ from the model's own (e.g. emergent's): same trial orders
    model = load_model(EXAMPLE)
    plain = Network(model)
    given = Network(model, weights={k: np.full_like(v, 0.5) for k, v in
                                    ((p.name, p.wt.T) for p in plain.prjn_list)})
    assert plain.rng.bit_generator.state == given.rng.bit_generator.state
    assert not np.array_equal(plain.prjn_list[0].wt, given.prjn_list[0].wt)
    assert np.array_equal(plain.rng.permutation(25), given.rng.permutation(25))
