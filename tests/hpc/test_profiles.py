"""Cluster profiles: the shipped sites, user folders, and errors naming file and field."""
from __future__ import annotations

import pytest

from emergent_py.errors import SubmitError
from emergent_py.hpc.profile import available_profiles, format_time, load_profile, parse_time, read_profile

SITES = ("comet", "expanse", "stampede2", "stampede3", "local")


def test_every_site_loads_with_its_facts():
    assert set(SITES) <= set(available_profiles())
    comet, expanse, s2, s3, local = (load_profile(n) for n in SITES)
    assert comet.launcher == "ibrun" and comet.partitions["compute"].cores_per_node == 24
    assert comet.partitions["compute"].max_nodes == 72 and comet.partitions["debug"].max_time == 30 * 60
    assert expanse.launcher == "srun --mpi=pmi2" and expanse.required == ("account",)
    assert expanse.partitions["compute"].cores_per_node == 128
    assert expanse.partitions["preempt"].max_time == 7 * 86400
    assert {"mem", "gres", "array"} <= set(s2.forbidden) and s2.sweep == "launcher"
    assert s2.partitions["long"].max_time == 120 * 3600 and s2.partitions["normal"].cores_per_node == 68
    assert {"mem", "gres"} <= set(s3.forbidden) and "array" not in s3.forbidden and s3.sweep == "array"
    assert "normal" not in s3.partitions and s3.partitions["spr"].cores_per_node == 112
    assert s3.partitions["skx-dev"].max_time == 2 * 3600
    assert local.launcher == "srun --mpi=pmix" and local.python == ""
    assert any("module load" in m for m in expanse.modules)


def test_time_parsing():
    assert parse_time("02:00:00") == 7200
    assert parse_time("1-12:00:00") == 36 * 3600
    assert parse_time("30") == 1800
    assert format_time(36 * 3600) == "1-12:00:00" and format_time(59) == "00:00:59"
    with pytest.raises(SubmitError, match="not a wall time"):
        parse_time("2h")
    with pytest.raises(SubmitError, match="not a wall time"):
        parse_time("01:75:00")


def _write(tmp_path, name, text):
    p = tmp_path / f"{name}.toml"
    p.write_text(text)
    return p


GOOD = """name = "{name}"
description = "test site"
launcher = "mpirun"
modules = []
required = []
forbidden = []
sweep = "array"
resume = "requeue"
default_partition = "batch"
scratch = "/scratch"
local_scratch = "/tmp"
[partitions.batch]
max_time = "12:00:00"
max_nodes = 4
cores_per_node = 16
"""


def test_user_folder_adds_and_shadows_sites(tmp_path, monkeypatch):
    _write(tmp_path, "mysite", GOOD.format(name="mysite"))
    _write(tmp_path, "comet", GOOD.format(name="comet"))
    monkeypatch.setenv("EMERGENT_PY_CLUSTERS", str(tmp_path))
    assert load_profile("mysite").partitions["batch"].max_time == 12 * 3600
    assert load_profile("comet").path == tmp_path / "comet.toml"      # the user's file wins
    assert load_profile(str(tmp_path / "mysite.toml")).name == "mysite"


def test_missing_field_names_field_and_file(tmp_path):
    p = _write(tmp_path, "bad", GOOD.format(name="bad").replace('launcher = "mpirun"\n', ""))
    with pytest.raises(SubmitError, match=r"bad\.toml: missing field 'launcher'"):
        read_profile(p)


def test_mistyped_field_is_named_with_a_suggestion(tmp_path):
    p = _write(tmp_path, "bad", GOOD.format(name="bad").replace("max_nodes", "max_node"))
    with pytest.raises(SubmitError, match=r"bad\.toml: \[partitions\.batch\]: unknown field 'max_node'.*'max_nodes'"):
        read_profile(p)
    p = _write(tmp_path, "bad2", GOOD.format(name="bad2").replace("launcher =", "launchr ="))
    with pytest.raises(SubmitError, match=r"bad2\.toml: unknown field 'launchr'. Did you mean 'launcher'"):
        read_profile(p)


def test_wrong_types_and_values(tmp_path):
    p = _write(tmp_path, "t1", GOOD.format(name="t1").replace("max_nodes = 4", 'max_nodes = "4"'))
    with pytest.raises(SubmitError, match="t1.toml: \\[partitions.batch\\]: field 'max_nodes' = '4' must be a positive integer"):
        read_profile(p)
    p = _write(tmp_path, "t2", GOOD.format(name="t2").replace('sweep = "array"', 'sweep = "arrays"'))
    with pytest.raises(SubmitError, match="t2.toml: field 'sweep' = 'arrays' must be one of array, launcher"):
        read_profile(p)
    p = _write(tmp_path, "t3", GOOD.format(name="other"))
    with pytest.raises(SubmitError, match="must equal the file name 't3'"):
        read_profile(p)
    p = _write(tmp_path, "t4", GOOD.format(name="t4").replace('"12:00:00"', '"12h"'))
    with pytest.raises(SubmitError, match="t4.toml: \\[partitions.batch\\]: max_time '12h' is not a wall time"):
        read_profile(p)
    p = _write(tmp_path, "t5", "name = [")
    with pytest.raises(SubmitError, match="t5.toml: not valid TOML"):
        read_profile(p)


def test_unknown_cluster_lists_known_ones():
    with pytest.raises(SubmitError, match="no cluster profile 'stampede'.*known: .*stampede2.*Did you mean"):
        load_profile("stampede")
