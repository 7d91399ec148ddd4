"""The entry script of an NSG job package (copied to ``<top>/run_sweep.py`` in the zip).

NSG's ``PY_EXPANSE`` tool runs it with Expanse's Python, in a folder of its own; it must need
nothing but that Python, the standard library and what the zip holds. It

1. checks the Python: version >= 3.11, numpy and h5py importable; if not, it says what is
   missing on stdout (which NSG returns as ``STDOUT``) and exits 3, before anything else;
2. installs the zip's pure-Python wheel of emergent_py into ``<top>/_site`` with pip
   (``--no-index --no-deps``: the wheel alone, nothing downloaded) and checks that
   ``emergent_py`` is then imported from there, not from some other installation;
3. runs every run listed in ``runs.json`` (``runs/NNN/model.json`` -> ``runs/NNN/run.h5``),
   at most ``cores`` at once, one process per run (numpy's threads pinned to one each), each
   run's output in ``runs/NNN/run.log`` and its exit status in ``runs/NNN/exit_code``; on
   SIGTERM (the wall-time limit) it starts no more runs and passes the signal on, so the running
   ones stop at a checkpoint (exit 75, their run files incomplete but resumable);
4. removes the wheel and its installation again, so that NSG's output archive holds the results
   and little else, and exits 0 when every run succeeded, 1 otherwise.

Deliberately written for old Pythons too (no syntax newer than 3.6), so that step 1 can report
a too-old interpreter instead of failing with a SyntaxError.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SITE = os.path.join(HERE, "_site")
RUNS_FILE = "runs.json"
SUMMARY_FILE = "nsg_summary.json"
NEEDS_PYTHON = (3, 11)
NEEDS_MODULES = ("numpy", "h5py")
#: exit status when the remote Python lacks what the runs need
MISSING_EXIT = 3


def say(text):
    print("emergent_py job: " + text, flush=True)


def check_python():
    """A list of what this Python lacks (empty when it can run the sweep)."""
    problems = []
    if sys.version_info < NEEDS_PYTHON:
        problems.append("Python %d.%d or newer (this is %s)" % (NEEDS_PYTHON + (sys.version.split()[0],)))
    for name in NEEDS_MODULES:
        try:
            mod = __import__(name)
            say("%s %s found" % (name, getattr(mod, "__version__", "(version unknown)")))
        except Exception as e:          # an ImportError, or a broken installation
            problems.append("the module %s (import failed: %s: %s)" % (name, type(e).__name__, e))
    return problems


def install_wheel(config):
    wheel = os.path.join(HERE, "wheels", config["wheel"])
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps", "--no-cache-dir",
           "--disable-pip-version-check", "--target", SITE, wheel]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    if p.returncode != 0:
        return "pip could not install %s (exit %d):\n%s" % (config["wheel"], p.returncode, p.stdout)
    p = subprocess.run([sys.executable, "-c", "import emergent_py; print(emergent_py.__file__)"],
                       env=run_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    where = p.stdout.strip()
    if p.returncode != 0 or not os.path.abspath(where).startswith(SITE + os.sep):
        return "emergent_py does not import from the installed wheel (%s): %s" % (SITE, where)
    say("emergent_py from the job's wheel: " + where)
    return None


def run_env():
    env = dict(os.environ)
    env["PYTHONPATH"] = SITE + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"                  # one core per run: the runs are packed onto the cores
    return env


def run_one(model, output):
    """One run, in a process of its own: ``emergent-py run MODEL -o OUTPUT`` (the run command
    itself, without the rest of the CLI, whose submit command needs jinja2)."""
    import argparse

    from emergent_py.commands import run as run_command
    from emergent_py.errors import EmergentPyError
    parser = argparse.ArgumentParser(prog="emergent-py run")
    run_command.add_arguments(parser)
    args = parser.parse_args([model, "-o", output])
    try:
        return int(run_command.run(args) or 0)
    except EmergentPyError as e:
        print("emergent-py run: error: %s" % e, file=sys.stderr)
        return 2


class Stop:
    """SIGTERM (the wall-time limit) or SIGINT: start no more runs and pass it on to the running
    ones, which stop at a checkpoint after their current epoch (exit 75) and keep their files."""

    def __init__(self):
        self.signum = 0

    def __call__(self, signum, frame):
        self.signum = signum


def run_all(config):
    """Every run, at most ``cores`` at once; returns {index: exit status} of the runs started."""
    cores = int(config["cores"])
    pending = list(config["runs"])
    running = {}
    codes = {}
    env = run_env()
    stop = Stop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stop)
    passed_on = False
    while pending or running:
        if stop.signum and not passed_on:
            say("stopped by signal %d: %d run(s) not started, %d told to stop" % (stop.signum, len(pending),
                                                                                 len(running)))
            for proc, _, _, _ in running.values():
                proc.send_signal(signal.SIGTERM)
            pending, passed_on = [], True
        while pending and len(running) < cores:
            r = pending.pop(0)
            run_dir = os.path.join(HERE, r["dir"])
            log = open(os.path.join(run_dir, "run.log"), "w")
            cmd = [sys.executable, os.path.abspath(__file__), "--run-one",
                   os.path.join(run_dir, "model.json"), os.path.join(run_dir, "run.h5")]
            running[r["index"]] = (subprocess.Popen(cmd, cwd=run_dir, env=env, stdout=log, stderr=subprocess.STDOUT),
                                   log, run_dir, time.time())
            say("run %03d started (%s, seed %s)" % (r["index"], json.dumps(r["sweep"], sort_keys=True), r["seed"]))
        time.sleep(0.2)
        for index in list(running):
            proc, log, run_dir, t0 = running[index]
            code = proc.poll()
            if code is None:
                continue
            log.close()
            with open(os.path.join(run_dir, "exit_code"), "w") as f:
                f.write("%d\n" % code)
            codes[index] = code
            del running[index]
            say("run %03d ended with exit status %d after %.1f s" % (index, code, time.time() - t0))
    return codes


def main(argv):
    if argv[:1] == ["--run-one"]:
        return run_one(argv[1], argv[2])
    say("Python %s at %s" % (sys.version.split()[0], sys.executable))
    problems = check_python()
    if problems:
        msg = ("cannot run: this Python lacks " + "; ".join(problems) + ". On NSG, choose a tool whose "
               "Python has numpy and h5py (emergent-py submit --nsg --tool ...), or ask nsghelp@sdsc.edu.")
        say(msg)
        print("emergent_py job: " + msg, file=sys.stderr)
        return MISSING_EXIT
    with open(os.path.join(HERE, RUNS_FILE)) as f:
        config = json.load(f)
    if hasattr(os, "sched_getaffinity"):
        have = len(os.sched_getaffinity(0))
        say("%d run(s) on %d core(s) (%d available to this job)" % (len(config["runs"]), config["cores"], have))
        if have < config["cores"]:
            say("warning: fewer cores available than requested; runs will share cores")
    error = install_wheel(config)
    if error:
        say("cannot run: " + error)
        print("emergent_py job: " + error, file=sys.stderr)
        return MISSING_EXIT
    t0 = time.time()
    try:
        codes = run_all(config)
    finally:
        shutil.rmtree(SITE, ignore_errors=True)
        shutil.rmtree(os.path.join(HERE, "wheels"), ignore_errors=True)
    failed = sorted(i for i, c in codes.items() if c != 0)
    not_run = sorted(r["index"] for r in config["runs"] if r["index"] not in codes)
    with open(os.path.join(HERE, SUMMARY_FILE), "w") as f:
        json.dump({"exit_codes": {"%03d" % i: c for i, c in sorted(codes.items())},
                   "not_started": ["%03d" % i for i in not_run], "seconds": round(time.time() - t0, 3)},
                  f, indent=1, sort_keys=True)
    say("%d of %d run(s) succeeded in %.1f s%s%s" % (
        len(codes) - len(failed), len(config["runs"]), time.time() - t0,
        "; failed: " + ", ".join("%03d" % i for i in failed) if failed else "",
        "; not started: " + ", ".join("%03d" % i for i in not_run) if not_run else ""))
    return 1 if failed or not_run else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
