"""Requests are checked against the site before anything is written."""
from __future__ import annotations

import re

import pytest

from emergent_py.errors import SubmitError
from emergent_py.hpc.jobfolder import create_job
from emergent_py.hpc.profile import load_profile
from emergent_py.hpc.request import Resources, check_request, parse_extra, slurm_job_name
from emergent_py.hpc.sweep import expand, parse_sweep


def test_expanse_directives():
    lines = check_request(load_profile("expanse"), Resources("compute", 2, 256, "1-00:00:00", "abc123"), "m", 1)
    assert lines == ["#SBATCH --job-name=m", "#SBATCH --partition=compute", "#SBATCH --nodes=2",
                     "#SBATCH --ntasks-per-node=128", "#SBATCH --time=1-00:00:00", "#SBATCH --account=abc123",
                     "#SBATCH --output=logs/%j.out", "#SBATCH --signal=B:USR1@120",
                     "#SBATCH --requeue", "#SBATCH --open-mode=append"]


@pytest.mark.parametrize("site,res,match", [
    ("expanse", Resources("debug", 1, 1, "00:31:00", "a"), r"-t 00:31:00 \(00:31:00\) is over the 00:30:00 limit of cluster 'expanse' partition 'debug'"),
    ("stampede3", Resources("skx-dev", 1, 1, "2:00:01"), "over the 02:00:00 limit"),
    ("comet", Resources("compute", 73, 73 * 24, "1:00:00"), "-N 73 is more than the 72 node"),
    ("comet", Resources("shared", 1, 25, "1:00:00"), r"-n 25 tasks do not fit on 1 node\(s\) of 24 cores .*use -N 2"),
    ("expanse", Resources("shared", 1, 4, "1:00:00"), "'expanse' requires --account \\(-A PROJECT\\)"),
    ("stampede2", Resources("normal", 1, 4, "1:00:00", mem="10G"), "--mem, which 'stampede2' does not accept"),
    ("stampede3", Resources("skx", 1, 4, "1:00:00", gres="gpu:1"), "--gres, which 'stampede3' does not accept"),
    ("stampede3", Resources("skx", 1, 4, "1:00:00", np=8), "--np 8 MPI ranks per run must be between 1 and the job's -n 4"),
    ("stampede3", Resources("nosuch", 1, 4, "1:00:00"), "has no partition 'nosuch'"),
    ("local", Resources(None, 1, 1, "1", signal_s=30), "--signal 30: SLURM may send the checkpoint warning up to 30 s earlier"),
    ("local", Resources(None, 1, 1, "10", account="a b"), "--account 'a b': only letters"),
])
def test_bad_requests_are_refused(site, res, match):
    with pytest.raises(SubmitError, match=match):
        check_request(load_profile(site), res, "job", 1)


def test_task_directive_follows_the_site():
    s3 = check_request(load_profile("stampede3"), Resources("skx", 2, 96, "1:00:00"), "j", 1)
    assert "#SBATCH --ntasks=96" in s3
    with pytest.raises(SubmitError, match="-n 45 tasks do not split evenly over -N 2 nodes"):
        check_request(load_profile("comet"), Resources("compute", 2, 45, "1:00:00"), "j", 1)


def test_sweep_is_an_array_or_a_launcher_job():
    s3 = check_request(load_profile("stampede3"), Resources("skx", 1, 4, "1:00:00", throttle=2), "j", 6)
    assert "#SBATCH --array=0-5%2" in s3 and "#SBATCH --output=logs/%A_%a.out" in s3
    s2 = check_request(load_profile("stampede2"), Resources("normal", 1, 4, "1:00:00"), "j", 6)
    assert not any("--array" in line for line in s2)
    with pytest.raises(SubmitError, match="launcher, whose tasks are serial"):
        check_request(load_profile("stampede2"), Resources("normal", 1, 4, "1:00:00", np=2), "j", 6)
    with pytest.raises(SubmitError, match="--sbatch array: set by emergent-py itself"):
        check_request(load_profile("stampede2"), Resources("normal", 1, 4, "1:00:00",
                                                           extra=parse_extra(["array=0-3"])), "j", 1)


def test_extra_directives():
    lines = check_request(load_profile("local"), Resources(extra=parse_extra(["mail-type=END", "exclusive"])), "j", 1)
    assert lines[-2:] == ["#SBATCH --mail-type=END", "#SBATCH --exclusive"]
    with pytest.raises(SubmitError, match="set by emergent-py itself"):
        check_request(load_profile("local"), Resources(extra=parse_extra(["time=10"])), "j", 1)
    with pytest.raises(SubmitError, match="write a long sbatch option"):
        parse_extra(["Bad Option"])


def test_job_names_are_made_safe_for_slurm():
    assert slurm_job_name("my job $(rm -rf /)\n`x`") == "my_job___rm_-rf_____x_"
    assert slurm_job_name("") == "emergent-py"


def test_nothing_is_written_when_the_request_is_refused(tmp_path, model):
    folder = tmp_path / "job"
    with pytest.raises(SubmitError, match="over the 00:30:00 limit"):
        create_job(folder, model, load_profile("expanse"), Resources("debug", 1, 1, "1:00:00", "a"),
                   expand([parse_sweep("lay_inhib.gi=1.6,1.8")], [1]))
    assert not folder.exists()


@pytest.mark.parametrize("end", ["\n", "\r", "\r\n"])
@pytest.mark.parametrize("field", ["partition", "time", "account", "mem", "gres", "job_name", "sbatch", "sbatch_name",
                                   "folder", "payload", "python"])
def test_a_line_break_in_any_value_is_refused(tmp_path, model, field, end):
    """`$` matched before a final newline, so `--sbatch $'comment\\n=1'` wrote a line `=1` into the
    header (sbatch stops reading #SBATCH lines there) and `-A 'x\\n'` a blank line (issue 22.4).
    Every user value that reaches a job file is refused with a control character in it."""
    profile = load_profile("local")
    res, kw, folder = Resources(time="10"), {}, tmp_path / "job"
    label = {"partition": "-p/--partition", "time": "-t/--time", "account": "-A/--account", "mem": "--mem",
             "gres": "--gres", "job_name": "-J/--job-name", "sbatch": "--sbatch", "sbatch_name": "--sbatch",
             "folder": "-o/--folder", "payload": "--payload", "python": "--python"}[field]
    if field in ("partition", "time", "account", "mem", "gres"):
        res = Resources(**{"time": "10", field: {"partition": "local", "time": "10"}.get(field, "abc") + end})
    elif field == "job_name":
        kw["job_name"] = "job" + end
    elif field in ("sbatch", "sbatch_name"):
        item = "comment" + end + "=1" if field == "sbatch_name" else "comment=x" + end
        with pytest.raises(SubmitError, match="control character"):
            parse_extra([item])
        res = Resources(time="10", extra=(("comment", "x" + end),) if field == "sbatch" else (("comment" + end, "1"),))
    elif field == "folder":
        folder = tmp_path / ("job" + end)
    else:
        kw[field] = ("{python} -m emergent_py run {model} -o {output}" if field == "payload" else "python3") + end
    with pytest.raises(SubmitError, match=re.escape(label) + ".*" + re.escape(f"control character {end[0]!r}")):
        create_job(folder, model, profile, res, expand([], [1]), **kw)
    assert not folder.exists()


def test_directive_values_and_option_names_are_matched_whole():
    from emergent_py.hpc.request import _directive
    with pytest.raises(SubmitError, match="only letters, digits"):
        _directive("account", "abc\n")                  # (re.match with ^...$ let this through)
    with pytest.raises(SubmitError, match="write a long sbatch option"):
        parse_extra(["Comment=1"])
    assert _directive("account", "abc") == "#SBATCH --account=abc"
