"""Every reader's error path through the CLI (issue 21): for each kind of input file and each
command that reads it, a broken file exits 2 with one line naming the file, never a traceback,
and a command that writes leaves no output file (nor a temporary one) behind."""
from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import pytest

from bad_files import MINI_PROJ, broken, line_of
from emergent_py.cli import main
from emergent_py.emergent.dump import Dump

REPO = Path(__file__).resolve().parents[1]
MODEL = REPO / "projects" / "RandomAssoc"

RAISES_IN_BUILD = "def build():\n    raise RuntimeError('pattern file not found')\n"


@pytest.fixture(scope="module")
def goods(tmp_path_factory, reference) -> dict[str, Path]:
    """Good inputs of every kind: emergent logs, weights and a project, a model .json, a run
    file, a job folder."""
    ref = reference
    stdassoc = ref / "runs" / "stdassoc"
    d = tmp_path_factory.mktemp("goods")
    from emergent_py.hpc.jobfolder import create_job
    from emergent_py.hpc.profile import load_profile
    from emergent_py.hpc.request import Resources
    from emergent_py.hpc.sweep import expand
    from emergent_py.results import RunWriter
    from emergent_py.spec import load_model
    model = load_model(MODEL)
    (d / "model.json").write_text(model.to_json())
    w = RunWriter(d / "run.h5", model)
    w.append_epoch({"epoch": 0, "avg_sse": 0.5})
    w.close(complete=True)
    job = create_job(d / "job", model, load_profile("local"), Resources(time="5"), expand([], [1]))
    return {"epc": stdassoc / "LeabraStd_e5.epc.dat", "trl": stdassoc / "LeabraStd_e5.trl.dat",
            "wts": stdassoc / "LeabraStd_init_bin.00_0000.wts.gz",
            "proj": ref / "proj_templates" / "LeabraStd.proj", "json": d / "model.json",
            "h5": d / "run.h5", "job": job.folder, "toml": REPO / "hpc" / "profiles" / "local.toml"}


def _bad_variants(kind: str, goods: dict[str, Path], folder: Path) -> list[Path]:
    """Broken files of one kind (the name says what is broken)."""
    suffix = {"epc": ".dat", "wts": ".wts", "proj": ".proj", "json": ".json", "h5": ".h5", "toml": ".toml"}[kind]
    good = goods[kind].read_bytes()
    if good[:2] == b"\x1f\x8b":
        good = gzip.decompress(good)
    variants = broken(good)
    if kind == "proj":
        text = good.decode()
        variants["future_version"] = text.replace("code v8.5.6.0", "code v9.0.0.0", 1).encode()
        d = Dump.parse(text, "x")
        layers = d.skeleton_find(".networks[0].layers")
        layers.set_size(layers.size + 1)
        variants["list_sizes"] = d.to_bytes()
        line = line_of(text, "lay_inhib {on=1: gi=1.8:")
        lines = text.splitlines(True)
        lines[line - 1] = lines[line - 1].replace(": };", " };", 1)
        variants["inline_block"] = "".join(lines).encode()
    if kind == "epc":      # import keeps a log cut mid-row (a killed run); not one cut in its header
        variants["cut_in_half"] = good[:good.index(b"\n") // 2]
    out = []
    for name, data in variants.items():
        gz = kind not in ("json", "toml") and ("gz" in name)   # (never gzipped: model .json, profiles)
        path = folder / f"{name}{suffix}{'.gz' if gz else ''}"
        path.write_bytes(data)
        out.append(path)
    if kind == "json":
        for name, code in (("raises_in_build", RAISES_IN_BUILD), ("syntax_error", "def build(:\n"),
                           ("raises_on_import", "import no_such_module_x\n")):
            (folder / f"{name}.py").write_text(code)
            out.append(folder / f"{name}.py")
    return out


#: kind of the bad file -> the commands that read it ({bad}: the file; {out}: an empty folder)
COMMANDS = {
    "epc": [["import", "{bad}", "-o", "{out}/r.h5"],
            ["import", "{epc}", "--trial", "{bad}", "-o", "{out}/r.h5"],
            ["import", "{epc}", "--cycle", "{bad}", "-o", "{out}/r.h5"]],
    "wts": [["run", str(MODEL), "--epochs", "1", "--weights", "{bad}", "-o", "{out}/r.h5"],
            ["import", "{epc}", "--wts", "{bad}", "-o", "{out}/r.h5"]],
    "proj": [["show", "{bad}"], ["run", "{bad}", "-o", "{out}/r.h5"],
             ["proj", "{bad}", "-o", "{out}/p.proj"], ["emergent", "{bad}", "--emergent", "/bin/false"]],
    "json": [["show", "{bad}"], ["validate", "{bad}"], ["run", "{bad}", "-o", "{out}/r.h5"],
             ["proj", "{bad}", "-o", "{out}/p.proj"],
             ["import", "{epc}", "--model", "{bad}", "-o", "{out}/r.h5"],
             ["emergent", "{bad}", "--dir", "{out}/e", "--emergent", "/bin/false"],
             ["submit", "{bad}", "--cluster", "local", "--dry-run", "-o", "{out}/job"]],
    "h5": [["compare", "{bad}", "{h5}"], ["compare", "{h5}", "{bad}"], ["plot", "{bad}", "-o", "{out}/c.png"]],
    "toml": [["submit", str(MODEL), "--cluster", "{bad}", "--dry-run", "-o", "{out}/job"]],
}


@pytest.mark.parametrize("kind", sorted(COMMANDS))
def test_every_reader_refuses_bad_files_through_the_cli(kind, goods, tmp_path, capsys):
    bads = _bad_variants(kind, goods, tmp_path)
    seen = 0
    for bad in bads:
        for template in COMMANDS[kind]:
            out = tmp_path / "out"
            out.mkdir(exist_ok=True)
            argv = [a.format(bad=bad, out=out, **goods) for a in template]
            rc = main(argv)
            err = capsys.readouterr().err
            case = f"{' '.join(argv)}: rc {rc}, stderr {err!r}"
            assert rc == 2, case
            assert "Traceback" not in err and len(err.strip().splitlines()) == 1, case
            assert str(bad) in err, case
            assert sorted(out.iterdir()) == [], case         # nothing half-written, no temporary file
            seen += 1
    assert seen == len(bads) * len(COMMANDS[kind])


def test_collect_and_jobs_refuse_a_broken_job_manifest_and_write_no_csv(goods, tmp_path, capsys):
    import shutil
    manifest = next(goods["job"].glob("*.json"))
    for name, data in broken(manifest.read_bytes()).items():
        job = tmp_path / name
        shutil.copytree(goods["job"], job)
        (job / manifest.name).write_bytes(data)
        out = tmp_path / f"{name}.csv"
        assert main(["collect", str(job), "--csv", str(out)]) == 2, name
        err = capsys.readouterr().err
        assert "Traceback" not in err and str(job) in err and len(err.strip().splitlines()) == 1, err
        assert not out.exists()
        assert main(["jobs", str(job)]) == 2, name
        err = capsys.readouterr().err
        assert "Traceback" not in err and str(job) in err and len(err.strip().splitlines()) == 1, err
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == []


def test_no_traceback_from_the_console_script(goods, tmp_path):
    """The same through a real process: what a user sees (one line per kind of input)."""
    (tmp_path / "m.py").write_text(RAISES_IN_BUILD)
    (tmp_path / "future.proj").write_text(MINI_PROJ.replace("code v8.5.6.0", "code v9.0.0.0"))
    (tmp_path / "b.wts.gz").write_bytes(__import__("bz2").compress(b"<Fmt TEXT>\n"))
    (tmp_path / "e.epc.dat").write_bytes(b"")
    (tmp_path / "r.h5").write_text("_H:\tepoch\n")
    (tmp_path / "j.json").write_bytes(bytes(range(256)))
    cases = [(["show", "m.py"], "m.py:2: build() raised RuntimeError: pattern file not found"),
             (["validate", "future.proj"], "future.proj:1: the header"),
             (["run", str(MODEL), "--weights", "b.wts.gz", "-o", "o.h5"], "b.wts.gz: this is bzip2"),
             (["import", "e.epc.dat", "-o", "o.h5"], "e.epc.dat:1: no header line"),
             (["compare", "r.h5", "r.h5"], "r.h5: not an HDF5 file (no HDF5 signature: it is text"),
             (["show", "j.json"], "j.json:1: binary data")]
    for argv, message in cases:
        r = subprocess.run([sys.executable, "-m", "emergent_py", *argv], capture_output=True, text=True,
                           cwd=tmp_path)
        assert r.returncode == 2 and "Traceback" not in r.stderr, (argv, r.stderr)
        assert r.stderr.startswith(f"emergent-py {argv[0]}: error: ") and message in r.stderr, (argv, r.stderr)
    assert not (tmp_path / "o.h5").exists()


def test_what_real_files_look_like_still_imports(goods, tmp_path, capsys):
    """A byte-order mark and CRLF line ends (Windows editors) in an emergent log: imported."""
    text = goods["epc"].read_bytes()
    bom = tmp_path / "bom.epc.dat"
    bom.write_bytes(b"\xef\xbb\xbf" + text.replace(b"\n", b"\r\n"))
    assert main(["import", str(bom), "-o", str(tmp_path / "bom.h5")]) == 0
    assert main(["import", str(goods["epc"]), "-o", str(tmp_path / "ref.h5")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [f"wrote {tmp_path / 'bom.h5'}: 5 epochs", f"wrote {tmp_path / 'ref.h5'}: 5 epochs"]
