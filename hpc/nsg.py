"""The Neuroscience Gateway (NSG) as a second way to run, beside SLURM: its REST API NSG-R.

NSG-R (the CIPRES REST framework) takes HTTP Basic auth plus a ``cipres-appkey`` header on every
request, a multipart POST of ``tool``, ``vparam.*``, ``metadata.*`` and one zip
(``input.infile_``) to submit (``/job/{user}``) or dry-run (``/job/{user}/validate``), and
answers in XML: a job's ``jobHandle``, ``jobStage`` (QUEUE, COMMANDRENDERING, INPUTSTAGING,
SUBMITTED, LOAD_RESULTS, COMPLETED), ``failed``, ``resultsUri`` with a ``downloadUri`` per file.
Clients must poll a job no more often than once per 60 s.

* credentials: ``~/.nsgrest.conf`` (pynsgr's ``KEY=VALUE`` format; pynsgr's own ``~/nsgrest.conf``
  is read when the first is absent) and ``$NSG_URL``, ``$NSG_USERNAME``, ``$NSG_PASSWORD``,
  ``$NSG_APPID`` (each overrides the file). They are never written anywhere: the job folder keeps
  the job handle, never a URL holding the user name, and every error message is redacted.
* :class:`Client`: the HTTP calls (``requests``, the optional ``[nsg]`` extra); every failure is
  a :class:`SubmitError` naming what was asked, the job handle and what to do.
* job folders (``hpc/jobfolder.py``, ``cluster = "nsg"``): :func:`submit`, :func:`poll` (the
  last answer cached in ``nsg_status.json``, so no command polls NSG more often than the
  policy allows), :func:`fetch_results`, :func:`cancel`, :func:`format_status`.

docs/nsg.md describes the whole workflow.
"""
from __future__ import annotations

import base64
import json
import math
import os
import re
import shlex
import tarfile
import tempfile
import time
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import quote, urlsplit

from ..errors import SubmitError
from ..fileio import atomic_output, atomic_write, file_sha256
from ..spec import Model
from .jobfolder import SCHEMA, SCHEMA_VERSION, Job, record_submission, run_entries, write_manifest, write_run_models
from .nsg_package import ENTRY, TOP, ZIP_NAME, build_wheel, write_package
from .profile import format_time, parse_time
from .render import RUN_FILE
from .sweep import RunPoint
from .track import run_file_status

CLUSTER = "nsg"
DEFAULT_URL = "https://nsgr.sdsc.edu:8443/cipresrest/v1"
CONFIG_FILES = (".nsgrest.conf", "nsgrest.conf")          # in the home folder, first found wins
ENV_VARS = {"URL": "NSG_URL", "USERNAME": "NSG_USERNAME", "PASSWORD": "NSG_PASSWORD", "APPID": "NSG_APPID"}
# the tools known to run the package's Python entry script, and the vparams each needs for it
TOOLS = {"PY_EXPANSE": (), "NEURON_EXPANSE": (("vparam.pythonoption_", "1"),)}
DEFAULT_TOOL = "PY_EXPANSE"
CORES_PER_NODE = 128                # an Expanse compute node: 2 x 64-core AMD EPYC 7742
MIN_POLL_S = 60.0                   # CIPRES / NSG-R policy
# tests only: a shorter poll interval (the tests' local NSG-R server cannot wait minutes)
TEST_POLL_VAR = "_EMERGENT_PY_NSG_TEST_POLL_S"
STATE_FILE = "nsg_status.json"
REQUEST_FILE = "nsg_request.json"
LOG_FILES = ("STDOUT", "STDERR")    # NSG's stdout / stderr of the job, kept in logs/
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar")
_MEMBER = re.compile(rf"^(?:.*/)?{TOP}/(runs/\d{{3}})/({re.escape(RUN_FILE)}|run\.log|exit_code)$")
_SUMMARY = re.compile(rf"^(?:.*/)?{TOP}/nsg_summary\.json$")


# ------------------------------------------------------------------------------ credentials
@dataclass(frozen=True)
class Credentials:
    """An NSG-R account: base URL, user name, password, application ID (none of them printed)."""
    url: str
    username: str = field(repr=False)
    password: str = field(repr=False)
    appid: str = field(repr=False)
    origins: dict = field(default_factory=dict)     # key -> the file or $VARIABLE it came from

    @property
    def where(self) -> str:
        """Where each value came from, e.g. ``URL, USERNAME from ~/.nsgrest.conf; APPID from $NSG_APPID``."""
        by_source: dict[str, list[str]] = {}
        for key in ENV_VARS:
            by_source.setdefault(self.origins.get(key, "?"), []).append(key)
        return "; ".join(f"{', '.join(keys)} from {src}" for src, keys in by_source.items())

    @property
    def jobs_url(self) -> str:
        """``{url}/job/{user}``: the user's jobs (submit, list) and, below it, each job."""
        return f"{self.url.rstrip('/')}/job/{quote(self.username, safe='')}"

    def redact(self, text: str) -> str:
        """``text`` with the user name, password, application ID (and their encodings) replaced."""
        pairs = [(self.password, "<PASSWORD>"), (self.appid, "<APPID>"), (self.username, "<USERNAME>")]
        pairs.append((base64.b64encode(f"{self.username}:{self.password}".encode()).decode(), "<BASIC-AUTH>"))
        pairs += [(quote(s, safe=""), name) for s, name in pairs[:3]]
        for secret, name in sorted(pairs, key=lambda p: -len(p[0])):
            if secret:
                text = text.replace(secret, name)
        return text


def config_paths(home: str | Path | None = None) -> list[Path]:
    home = Path(home) if home is not None else Path.home()
    return [home / name for name in CONFIG_FILES]


# a Java-properties line as pynsgr reads them: KEY=VALUE or KEY: VALUE
_CONFIG_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_.]*)\s*[=:]\s*(.*)$")


def _read_config(path: Path) -> dict[str, str]:
    values = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        m = _CONFIG_LINE.match(text)
        if not m:       # (the line itself is not shown: it may hold a password)
            raise SubmitError(f"{path} line {n}: not KEY=VALUE (the keys are URL, USERNAME, PASSWORD, APPID)")
        values[m[1].upper()] = m[2].strip()
    return values


def load_credentials(environ: dict | None = None, home: str | Path | None = None) -> Credentials:
    """The NSG-R account from the first config file found and the environment (which wins).

    Raises
    ------
    SubmitError
        naming the files and variables looked at, when the user name, password or application
        ID is missing, or a config file is malformed.
    """
    env = os.environ if environ is None else environ
    values: dict[str, str] = {}
    origin: dict[str, str] = {}
    for path in config_paths(home):
        if path.is_file():
            if path.stat().st_mode & 0o077:
                warnings.warn(f"{path} holds your NSG password and others can read it: chmod 600 {path}")
            for key, value in _read_config(path).items():
                if key in ENV_VARS and value:
                    values[key], origin[key] = value, str(path)
            break
    for key, var in ENV_VARS.items():
        if env.get(var):
            values[key], origin[key] = env[var], f"${var}"
    missing = [k for k in ("USERNAME", "PASSWORD", "APPID") if not values.get(k)]
    if missing:
        files = " and ".join(str(p) for p in config_paths(home))
        raise SubmitError(
            f"NSG credentials: no {', '.join(missing)} found. Looked in {files} (lines KEY=VALUE with "
            f"URL, USERNAME, PASSWORD, APPID; pynsgr's format) and the environment variables "
            f"{', '.join('$' + v for v in ENV_VARS.values())}. Register at NSG-R and create a DIRECT "
            "application for the APPID (docs/nsg.md)")
    values.setdefault("URL", DEFAULT_URL)
    origin.setdefault("URL", "the default")
    return Credentials(values["URL"], values["USERNAME"], values["PASSWORD"], values["APPID"], origin)


def configured_url(environ: dict | None = None, home: str | Path | None = None) -> str:
    """The NSG-R base URL alone (for dry runs, which need no credentials)."""
    env = os.environ if environ is None else environ
    if env.get(ENV_VARS["URL"]):
        return env[ENV_VARS["URL"]]
    for path in config_paths(home):
        if path.is_file():
            return _read_config(path).get("URL") or DEFAULT_URL
    return DEFAULT_URL


# ------------------------------------------------------------------------------ XML answers
@dataclass(frozen=True)
class JobStatus:
    """A ``jobstatus`` answer."""
    handle: str
    stage: str
    failed: bool
    terminal: bool
    messages: list[str]             # "STAGE: text", oldest first
    results_url: str | None = None
    commandline: str | None = None  # validate's answer
    min_poll_s: float | None = None


@dataclass(frozen=True)
class ResultFile:
    """One file of a job's results listing."""
    name: str
    url: str
    length: int | None


def _xml(content: bytes, what: str) -> ET.Element:
    try:
        return ET.fromstring(content)
    except ET.ParseError as e:
        raise SubmitError(f"NSG-R's answer to {what} is not XML ({e}): {content[:300]!r}") from None


def error_text(content: bytes) -> str:
    """The message of an NSG-R ``error`` document (display message, message, parameter errors),
    or the start of the body when it is not one."""
    try:
        root = ET.fromstring(content)
    except ET.ParseError:
        return content.decode("utf-8", "replace").strip()[:300] or "(empty answer)"
    parts = [t.strip() for t in (root.findtext("displayMessage"), root.findtext("message")) if t and t.strip()]
    parts = list(dict.fromkeys(parts))
    for pe in root.iter("paramError"):
        parts.append(f"{pe.findtext('param', '').strip()}: {pe.findtext('error', '').strip()}")
    return "; ".join(parts) or " ".join(t.strip() for t in root.itertext() if t.strip())[:300]


def parse_status(content: bytes, what: str = "a job status request") -> JobStatus:
    root = _xml(content, what)
    if root.tag == "error":
        raise SubmitError(f"NSG-R answered {what} with an error: {error_text(content)}")
    stage = (root.findtext("jobStage") or "").strip()
    terminal = root.findtext("terminalStage")
    poll = root.findtext("minPollIntervalSeconds")
    return JobStatus(
        handle=(root.findtext("jobHandle") or "").strip(), stage=stage,
        failed=(root.findtext("failed") or "").strip().lower() == "true",
        terminal=terminal.strip().lower() == "true" if terminal else stage == "COMPLETED",
        messages=[f"{(m.findtext('stage') or '').strip()}: {(m.findtext('text') or '').strip()}"
                  for m in root.iter("message")],
        results_url=(root.findtext("resultsUri/url") or "").strip() or None,
        commandline=(root.findtext("commandline") or "").strip() or None,
        min_poll_s=float(poll) if poll and poll.strip().replace(".", "", 1).isdigit() else None)


def parse_results(content: bytes) -> list[ResultFile]:
    root = _xml(content, "a results listing")
    out = []
    for jf in root.iter("jobfile"):
        name = (jf.findtext("filename") or "").strip()
        url = (jf.findtext("downloadUri/url") or "").strip()
        length = (jf.findtext("length") or "").strip()
        if name and url:
            out.append(ResultFile(name, url, int(length) if length.isdigit() else None))
    return out


# ------------------------------------------------------------------------------ HTTP
def _requests():
    try:
        import requests
    except ImportError:
        raise SubmitError("--nsg talks to NSG-R with the requests package: pip install 'ldlc-emergent[nsg]'") from None
    return requests


class Client:
    """NSG-R calls for one account. Every failure is a SubmitError without the credentials."""

    def __init__(self, creds: Credentials, timeout: float = 120.0) -> None:
        requests = _requests()
        self.creds, self.timeout, self._exc = creds, timeout, requests.RequestException
        self.session = requests.Session()
        self.session.auth = (creds.username, creds.password)
        self.session.headers["cipres-appkey"] = creds.appid

    def _call(self, method: str, url: str, what: str, handle: str | None = None, **kw):
        job = f" (job {handle})" if handle else ""
        try:
            r = self.session.request(method, url, timeout=self.timeout, **kw)
        except self._exc as e:
            raise SubmitError(self.creds.redact(
                f"NSG-R at {urlsplit(self.creds.url).netloc or self.creds.url} could not be reached for "
                f"{what}{job}: {e}. Check the connection and the URL (URL from {self.creds.origins.get('URL')})"
            )) from None
        if r.status_code == 401:
            raise SubmitError(self.creds.redact(
                f"NSG-R refused the credentials (HTTP 401) for {what}{job}: {error_text(r.content)}. Check "
                f"USERNAME, PASSWORD and APPID ({self.creds.where}); the application must use DIRECT "
                "authentication (docs/nsg.md)"))
        if r.status_code >= 400:
            raise SubmitError(self.creds.redact(
                f"NSG-R answered HTTP {r.status_code} {r.reason} to {what}{job}: {error_text(r.content)}"))
        return r

    def _post_job(self, url: str, fields: list[tuple[str, str]], zip_path: Path, what: str) -> JobStatus:
        with open(zip_path, "rb") as f:
            r = self._call("POST", url, what, data=fields,
                           files={"input.infile_": (zip_path.name, f, "application/zip")})
        return parse_status(r.content, what)

    def validate(self, fields: list[tuple[str, str]], zip_path: Path) -> JobStatus:
        return self._post_job(f"{self.creds.jobs_url}/validate", fields, zip_path, "the validation of the job")

    def submit(self, fields: list[tuple[str, str]], zip_path: Path) -> JobStatus:
        return self._post_job(self.creds.jobs_url, fields, zip_path, "the submission of the job")

    def job_url(self, handle: str) -> str:
        return f"{self.creds.jobs_url}/{quote(handle, safe='')}"

    def status(self, handle: str) -> JobStatus:
        r = self._call("GET", self.job_url(handle), "a job status request", handle)
        return parse_status(r.content, f"the status request of job {handle}")

    def results(self, status: JobStatus) -> list[ResultFile]:
        # (NSG-R's answers give the results URL; CIPRES places it at <job>/output when one lacks it)
        url = status.results_url or f"{self.job_url(status.handle)}/output"
        return parse_results(self._call("GET", url, "the results listing", status.handle).content)

    def download(self, rf: ResultFile, dest: Path, handle: str) -> None:
        """Stream one result file to ``dest`` (renamed into place when complete)."""
        r = self._call("GET", rf.url, f"the download of {rf.name}", handle, stream=True)
        try:
            with atomic_output(dest) as tmp:
                with open(tmp, "wb") as f:
                    for block in r.iter_content(1 << 20):
                        f.write(block)
        except self._exc as e:          # the connection broke off: nothing half-written is kept
            raise SubmitError(self.creds.redact(f"the download of {rf.name} (job {handle}) broke off: {e}; "
                                                "collect again")) from None

    def cancel(self, handle: str) -> None:
        self._call("DELETE", self.job_url(handle), "the cancellation", handle)


# ------------------------------------------------------------------------------ the request
def runtime_hours(seconds: int) -> str:
    """``vparam.runtime_``: the wall time in hours (4 decimals, rounded up: never less than asked)."""
    return f"{math.ceil(seconds / 3600 * 10000 - 1e-9) / 10000:.4f}".rstrip("0").rstrip(".")


def check_tool(tool: str) -> None:
    if tool not in TOOLS:
        raise SubmitError(f"--tool {tool!r}: emergent_py's job is a Python script; the NSG tools known to run "
                          f"one are {', '.join(TOOLS)} (emergent itself is not an NSG tool)")


def check_cores(cores: int, nodes: int) -> None:
    if nodes != 1:
        raise SubmitError(f"-N {nodes}: an NSG job of emergent_py runs on one node (its runs are packed onto "
                          "its cores); drop -N")
    if not 1 <= cores <= CORES_PER_NODE:
        raise SubmitError(f"-n {cores}: give 1 to {CORES_PER_NODE} cores (one Expanse node)")


def request_fields(tool: str, seconds: int, cores: int, job_name: str, client_job_id: str) -> list[tuple[str, str]]:
    """The form fields of the submission (besides the zip, ``input.infile_``)."""
    check_tool(tool)
    return [("tool", tool), ("vparam.runtime_", runtime_hours(seconds)), ("vparam.number_nodes_", "1"),
            ("vparam.number_cores_", str(cores)), ("vparam.tasks_per_node_", "1"),
            ("vparam.filename_", ENTRY), *TOOLS[tool], ("metadata.statusEmail", "false"),
            ("metadata.clientJobId", client_job_id), ("metadata.clientJobName", job_name)]


def write_request(job: Job, url: str) -> dict:
    """``nsg_request.json``: the exact requests the submission sends, credentials as placeholders
    (also as curl commands a user could run)."""
    fields = [tuple(f) for f in job.manifest["nsg"]["fields"]]
    zip_path = job.folder / ZIP_NAME
    base = f"{url.rstrip('/')}/job/<USERNAME>"
    curl = " ".join(["curl", "-u", '"$NSG_USERNAME:$NSG_PASSWORD"', "-H", '"cipres-appkey: $NSG_APPID"',
                     *[f"-F {shlex.quote(f'{k}={v}')}" for k, v in fields], f"-F input.infile_=@{ZIP_NAME}"])
    curl_url = shlex.quote(url.rstrip("/")) + '/job/"$NSG_USERNAME"'
    request = {
        "validate": {"method": "POST", "url": f"{base}/validate"},
        "submit": {"method": "POST", "url": base},
        "headers": {"Authorization": "Basic base64(<USERNAME>:<PASSWORD>)", "cipres-appkey": "<APPID>"},
        "content_type": "multipart/form-data",
        "fields": [list(f) for f in fields],
        "file": {"field": "input.infile_", "filename": ZIP_NAME, "content_type": "application/zip",
                 "bytes": zip_path.stat().st_size, "sha256": file_sha256(zip_path)},
        "curl": {"validate": f"{curl} {curl_url}/validate", "submit": f"{curl} {curl_url}"},
    }
    atomic_write(job.folder / REQUEST_FILE, json.dumps(request, indent=1) + "\n")
    return request


def format_request(request: dict) -> str:
    lines = [f"{request['validate']['method']} {request['validate']['url']}   (then {request['submit']['method']} "
             f"{request['submit']['url']})"]
    lines += [f"{k}: {v}" for k, v in request["headers"].items()]
    lines.append(f"Content-Type: {request['content_type']}")
    lines += [f"  {k}={v}" for k, v in request["fields"]]
    f = request["file"]
    lines.append(f"  {f['field']}=@{f['filename']}  ({f['content_type']}, {f['bytes']} bytes, sha256 {f['sha256']})")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------ job folders
def is_nsg(job: Job) -> bool:
    return job.manifest.get("cluster") == CLUSTER


def create_job(folder: str | Path, model: Model, points: list[RunPoint], *, time_limit: str, cores: int,
               nodes: int = 1, tool: str = DEFAULT_TOOL, job_name: str | None = None,
               url: str = DEFAULT_URL) -> Job:
    """Check the request, then write an NSG job folder: the runs' models, the manifest, the job
    zip (hpc/nsg_package.py) and ``nsg_request.json`` (nothing is written if a check fails)."""
    check_tool(tool)
    check_cores(cores, nodes)
    seconds = parse_time(time_limit, "-t/--time")
    if seconds < 60:
        raise SubmitError(f"-t {time_limit}: NSG takes the wall time in minutes at least; give 00:01:00 or more")
    if not points:
        raise SubmitError("no runs to submit")
    job_name = model.name if job_name is None else job_name
    with tempfile.TemporaryDirectory(prefix="emergent_py-nsg-") as tmp:
        wheel = build_wheel(Path(tmp))                 # (before anything is written: it can fail)
        folder = write_run_models(folder, model, points)
        fields = request_fields(tool, seconds, cores, job_name, folder.name)
        manifest = {
            "schema": SCHEMA, "schema_version": SCHEMA_VERSION,
            "name": job_name, "model": model.name, "cluster": CLUSTER, "profile": None, "engine": "native",
            "python": f"NSG {tool}", "payload": f"{TOP}/{ENTRY}", "checkpoint": False,
            "resources": {"nodes": 1, "cores": cores, "time": format_time(seconds)}, "directives": [],
            "array": False, "runs": run_entries(points), "job_id": None, "submitted": None,
            "nsg": {"tool": tool, "fields": [list(f) for f in fields], "zip": ZIP_NAME, "wheel": wheel.name,
                    "core_hours": round(cores * seconds / 3600, 4)},
        }
        job = Job(folder, manifest)
        write_package(folder / ZIP_NAME, job, model, cores, wheel)
    write_manifest(folder, manifest)
    write_request(job, url)
    return job


def submit(job: Job, client: Client) -> tuple[Job, JobStatus]:
    """Validate the job's zip with NSG-R, then submit it; the handle goes into the manifest."""
    if job.job_id is not None:
        raise SubmitError(f"{job.folder} was already submitted as NSG job {job.job_id}")
    fields = [tuple(f) for f in job.manifest["nsg"]["fields"]]
    zip_path = job.folder / ZIP_NAME
    client.validate(fields, zip_path)
    status = client.submit(fields, zip_path)
    if not status.handle:
        raise SubmitError("NSG-R accepted the job but its answer has no jobHandle; look for the job on the "
                          "NSG portal before submitting again")
    job = record_submission(job, status.handle)
    _save_state(job, status, client.creds, time.time())
    return job, status


def min_poll_s(status: JobStatus | None = None) -> float:
    """Seconds between two status requests of one job: NSG's 60 s (or more, when the answer asks
    for more); the tests alone shorten it, through ``_EMERGENT_PY_NSG_TEST_POLL_S``."""
    test = os.environ.get(TEST_POLL_VAR)
    if test:
        return float(test)
    return max(MIN_POLL_S, (status.min_poll_s or 0.0) if status else 0.0)


def _state(job: Job) -> dict:
    path = job.folder / STATE_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except json.JSONDecodeError as e:
        raise SubmitError(f"{path}: invalid JSON at line {e.lineno} ({e.msg}); delete it, the next poll "
                          "writes it anew") from None


def _write_state(job: Job, state: dict) -> None:
    atomic_write(job.folder / STATE_FILE, json.dumps(state, indent=1, sort_keys=True) + "\n")


def _save_state(job: Job, status: JobStatus, creds: Credentials, when: float) -> None:
    state = _state(job)
    # the results URL is kept relative to the job's own URL (which holds the user name)
    job_url = f"{creds.jobs_url}/{quote(status.handle, safe='')}"
    results = status.results_url or ""
    state.update(polled=when, stage=status.stage, failed=status.failed, terminal=status.terminal,
                 messages=[creds.redact(m) for m in status.messages], min_poll_s=status.min_poll_s,
                 results_path=results[len(job_url):] if results.startswith(job_url) else None)
    _write_state(job, state)


def _cached(job: Job, state: dict) -> JobStatus:
    return JobStatus(job.job_id or "", state["stage"], state["failed"], state["terminal"], state["messages"],
                     None, None, state.get("min_poll_s"))


def poll(job: Job, client: Callable[[], Client], now: Callable[[], float] = time.time) -> tuple[JobStatus, float]:
    """The job's status and its age in seconds: NSG-R is asked only when the last answer is older
    than :func:`min_poll_s` and the job has not ended; otherwise the last answer is returned.
    ``client()`` gives the client, called only when NSG-R is asked (so a cached answer needs no
    credentials)."""
    if job.job_id is None:
        raise SubmitError(f"{job.folder} has not been submitted to NSG (a dry run?)")
    state = _state(job)
    if state.get("cancelled"):
        return JobStatus(job.job_id, "CANCELLED", False, True, state.get("messages", [])), now() - state["cancelled"]
    if "stage" in state:
        cached = _cached(job, state)
        age = now() - state["polled"]
        if cached.terminal or age < min_poll_s(cached):
            return cached, age
    c = client()
    status = c.status(job.job_id)
    _save_state(job, status, c.creds, now())
    return status, 0.0


def cached_status(job: Job) -> tuple[JobStatus, float] | None:
    """The last answer saved in the job folder, without asking NSG-R (None before any)."""
    state = _state(job)
    if "stage" not in state:
        return None
    return _cached(job, state), time.time() - state["polled"]


def cancel(job: Job, client: Client) -> None:
    """Cancel (delete) the job at NSG; its folder keeps what was collected."""
    if job.job_id is None:
        raise SubmitError(f"{job.folder} has not been submitted to NSG; nothing to cancel")
    state = _state(job)
    if state.get("cancelled"):
        raise SubmitError(f"NSG job {job.job_id} was already cancelled")
    client.cancel(job.job_id)
    state["cancelled"] = time.time()
    _write_state(job, state)


def _tail(path: Path, n: int = 5) -> str:
    if not path.is_file():
        return ""
    lines = [ln for ln in path.read_text(encoding="utf-8", errors="replace").splitlines() if ln.strip()]
    return " | ".join(lines[-n:])


def fetch_results(job: Job, client_factory: Callable[[], Client]) -> list[str]:
    """Download what ``collect`` needs of a finished job: NSG's STDOUT/STDERR into ``logs/`` and
    the output archive, from which only each run's ``run.h5``, ``run.log`` and ``exit_code`` are
    unpacked into its ``runs/NNN/``. Returns notes for the user (runs without a run file).

    Raises
    ------
    SubmitError
        the job has not finished, NSG marks it failed, or its results hold no run file at all;
        each naming the job handle and what to do.
    """
    if job.job_id is None:
        raise SubmitError(f"{job.folder} has not been submitted to NSG (a dry run?); nothing to collect")
    state = _state(job)
    if state.get("collected"):
        return []
    client = client_factory()
    status, age = poll(job, lambda: client)
    handle = job.job_id
    if status.stage == "CANCELLED":
        raise SubmitError(f"NSG job {handle} was cancelled; nothing to collect")
    if not status.terminal:
        raise SubmitError(f"NSG job {handle} is at stage {status.stage} (as of {age:.0f} s ago), not finished; "
                          f"follow it with `emergent-py jobs {job.folder} --watch 60` and collect once it is COMPLETED")
    state = _state(job)                             # (the poll may have brought a results URL)
    listing = client.results(JobStatus(handle, status.stage, status.failed, True, [],
                                       client.job_url(handle) + state["results_path"]
                                       if state.get("results_path") else None))
    names = [f.name for f in listing]
    logs = job.folder / "logs"
    logs.mkdir(exist_ok=True)
    for rf in listing:
        if rf.name in LOG_FILES:
            client.download(rf, logs / rf.name, handle)
    archives = [rf for rf in listing if rf.name.endswith(ARCHIVE_SUFFIXES)]
    found: dict[str, set[str]] = {}
    download = job.folder / ".nsg_download"
    download.mkdir(exist_ok=True)
    try:
        for rf in archives:
            path = download / Path(rf.name).name
            client.download(rf, path, handle)
            _unpack(path, job, found, handle)
            path.unlink()
    finally:
        if download.exists() and not any(download.iterdir()):
            download.rmdir()
    said = _tail(logs / "STDOUT")
    with_runs = sum(RUN_FILE in found.get(r["dir"], ()) for r in job.runs)
    if status.failed:
        raise SubmitError(
            f"NSG marks job {handle} failed (stage {status.stage}; NSG says: {' | '.join(status.messages[-3:]) or '-'})."
            f" Its STDOUT ends: {said or '(none returned)'}. {with_runs} of {len(job.runs)} run files came back"
            f" (unpacked into {job.folder}/runs). Fix the cause (logs/STDOUT, logs/STDERR) and submit again")
    if with_runs == 0:
        raise SubmitError(
            f"the results of NSG job {handle} hold no run files (NSG returned: {', '.join(names) or 'nothing'}; "
            f"expected an archive with {TOP}/runs/NNN/{RUN_FILE}). Its STDOUT ends: {said or '(none returned)'}. "
            f"See {logs} and the job's files on the NSG portal")
    notes = []
    for r in job.runs:
        if RUN_FILE not in found.get(r["dir"], ()):
            code = job.folder / r["dir"] / "exit_code"
            notes.append(f"NSG job {handle}: run {r['index']:03d} ({r['dir']}) has no run file (exit status "
                         f"{code.read_text().strip() if code.is_file() else 'unknown'}); see {r['dir']}/run.log "
                         f"and logs/STDOUT, then rerun that point")
    state = _state(job)
    state.update(collected=time.time(), results=names)
    _write_state(job, state)
    return notes


def _unpack(archive: Path, job: Job, found: dict[str, set[str]], handle: str) -> None:
    """Extract the run files of the job's runs (and nothing else: no other path is ever written)."""
    dirs = {r["dir"] for r in job.runs}
    try:
        with tarfile.open(archive) as tar:
            for member in tar:
                m = _MEMBER.match(member.name)
                target = None
                if m and m[1] in dirs and member.isfile():
                    target = job.folder / m[1] / m[2]
                    found.setdefault(m[1], set()).add(m[2])
                elif _SUMMARY.match(member.name) and member.isfile():
                    target = job.folder / "logs" / "nsg_summary.json"
                if target is None:
                    continue
                src = tar.extractfile(member)
                with atomic_output(target) as tmp:
                    with open(tmp, "wb") as f:
                        while block := src.read(1 << 20):
                            f.write(block)
    except tarfile.TarError as e:
        raise SubmitError(f"NSG job {handle}: {archive.name} is not a readable archive ({e}); download it "
                          "from the NSG portal and check it") from None


def format_status(job: Job, status: JobStatus | None, age: float | None) -> str:
    """The NSG part of ``emergent-py jobs``: handle, stage, failed flag, then each run."""
    nsg = job.manifest.get("nsg", {})
    lines = [f"{job.folder}  ({job.manifest['name']!r} on NSG {nsg.get('tool', '?')}, job "
             f"{job.job_id or 'not submitted'})"]
    if status is not None:
        next_s = max(0.0, min_poll_s(status) - (age or 0.0))
        when = f"as of {age:.0f} s ago" + ("" if status.terminal else f"; next poll in >= {next_s:.0f} s")
        lines.append(f"  stage {status.stage}, failed {'yes' if status.failed else 'no'} ({when})")
        if status.messages:
            lines.append(f"  NSG: {status.messages[-1]}")
    header = ("run", "exit", "run file", "point")
    table = [header]
    for r in job.runs:
        code = job.folder / r["dir"] / "exit_code"
        table.append((str(r["index"]), code.read_text().strip() if code.is_file() else "-",
                      run_file_status(job.folder / r["dir"] / RUN_FILE),
                      " ".join([f"{k}={v}" for k, v in r["sweep"].items()] + [f"seed={r['seed']}"])))
    widths = [max(len(row[i]) for row in table) for i in range(len(header) - 1)]
    for row in table:
        lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths)) + "  " + row[-1])
    done = sum(row[2] == "complete" for row in table[1:])
    collected = _state(job).get("collected")
    pending = (" (a dry run: nothing was submitted)" if job.job_id is None else
               "" if collected else " (results not collected yet: emergent-py collect)")
    lines.append(f"  {done}/{len(job.runs)} run files complete{pending}")
    return "\n".join(lines)
