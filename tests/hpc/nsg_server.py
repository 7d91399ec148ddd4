"""A local NSG-R for the tests: loopback only, started by the tests, one thread per request.

It implements the protocol of NSG-R (the CIPRES REST framework) as emergent_py uses it, and
runs the submitted job for real, as NSG's PY_EXPANSE would:

* every request needs HTTP Basic auth and a ``cipres-appkey`` header matching the account;
  otherwise 401 with an XML ``error``;
* ``POST /cipresrest/v1/job/{user}[/validate]``: multipart form (``tool``, ``vparam.*``,
  ``metadata.*``, ``input.infile_`` zip) parsed with the standard library's email parser and
  checked (known tool, runtime, cores, a zip with one top-level folder holding
  ``vparam.filename_``); a bad form gets 400 with an XML ``error`` and ``paramError``s.
  ``validate`` answers with the command line; submit creates the job, unpacks the zip in a fresh
  folder and runs ``python TOP/FILENAME`` there with the project's Python (stdout -> STDOUT,
  stderr -> STDERR);
* ``GET .../job/{user}/{handle}``: ``jobstatus`` XML; each status request moves the job one stage
  on (QUEUE, COMMANDRENDERING, INPUTSTAGING, SUBMITTED), and past SUBMITTED only once the
  script has ended (LOAD_RESULTS, then COMPLETED, ``terminalStage`` true); a script that exited
  non-zero makes the job ``failed``;
* ``GET .../{handle}/output``: the results listing (STDOUT, STDERR, output.tar.gz of the job
  folder, and two files emergent_py does not need), each with a ``downloadUri``;
  ``GET .../{handle}/output/{id}``: the file; ``DELETE .../{handle}``: cancel (kill, forget).

Every request is logged (``server.log``: method, path, time) so tests can count polls and
downloads.
"""
from __future__ import annotations

import base64
import email.parser
import email.policy
import io
import os
import subprocess
import sys
import tarfile
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import escape

PREFIX = "/cipresrest/v1"
STAGES = ("QUEUE", "COMMANDRENDERING", "INPUTSTAGING", "SUBMITTED", "LOAD_RESULTS", "COMPLETED")
TOOLS = ("PY_EXPANSE", "NEURON_EXPANSE", "OSBv2_EXPANSE_0_7_3")
MAX_RUNTIME_H = 48.0
MAX_CORES = 128
UNNEEDED = {"_JOBINFO.TXT": b"JobHandle=...\nTool=PY_EXPANSE\n" * 200, "scheduler.conf": b"nodes=1\n" * 500}


@dataclass
class ServerJob:
    handle: str
    fields: dict
    folder: Path
    stage: int = 0
    proc: subprocess.Popen | None = None
    exit_code: int | None = None
    files: dict = field(default_factory=dict)        # document id -> (name, bytes)
    messages: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class NsgServer:
    """``with NsgServer(root, user, password, appid) as srv: srv.url ...``

    Options the tests set between jobs: ``env`` (extra environment of the job scripts),
    ``run`` (False: do not run the script; the results hold only a STDOUT saying so),
    ``hold`` (True: jobs stay in QUEUE).
    """

    def __init__(self, root: Path, user: str, password: str, appid: str) -> None:
        self.root, self.user, self.password, self.appid = Path(root), user, password, appid
        self.jobs: dict[str, ServerJob] = {}
        self.log: list[tuple[str, str, float]] = []
        self.env: dict[str, str] = {}
        self.run, self.hold = True, False
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):           # quiet
                pass

            def do_GET(self):
                server._handle(self, "GET")

            def do_POST(self):
                server._handle(self, "POST")

            def do_DELETE(self):
                server._handle(self, "DELETE")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}{PREFIX}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "NsgServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        for job in self.jobs.values():
            if job.proc and job.proc.poll() is None:
                job.proc.kill()
                job.proc.wait()

    # ------------------------------------------------------------------ helpers
    def requests(self, method: str | None = None, contains: str = "") -> list[tuple[str, str, float]]:
        return [r for r in self.log if (method is None or r[0] == method) and contains in r[1]]

    def _job_url(self, handle: str) -> str:
        return f"{self.url}/job/{self.user}/{handle}"

    def _status_xml(self, job: ServerJob) -> str:
        stage = STAGES[job.stage]
        failed = stage == "COMPLETED" and job.exit_code not in (0, None)
        msgs = "".join(f"<message><timestamp>2026-01-01T00:00:00-08:00</timestamp><stage>{s}</stage>"
                       f"<text>{escape(t)}</text></message>" for s, t in job.messages)
        meta = "".join(f"<entry><key>{escape(k[9:])}</key><value>{escape(v)}</value></entry>"
                       for k, v in job.fields.items() if k.startswith("metadata."))
        u = self._job_url(job.handle)
        return (f"<?xml version='1.0' encoding='UTF-8'?><jobstatus>"
                f"<selfUri><url>{u}</url><rel>jobstatus</rel><title>{job.handle}</title></selfUri>"
                f"<jobHandle>{job.handle}</jobHandle><jobStage>{stage}</jobStage>"
                f"<terminalStage>{'true' if stage == 'COMPLETED' else 'false'}</terminalStage>"
                f"<failed>{'true' if failed else 'false'}</failed><metadata>{meta}</metadata>"
                f"<dateSubmitted>2026-01-01T00:00:00-08:00</dateSubmitted>"
                f"<resultsUri><url>{u}/output</url><rel>results</rel><title>Job Results</title></resultsUri>"
                f"<workingDirUri><url>{u}/workingdir</url><rel>workingdir</rel></workingDirUri>"
                f"<messages>{msgs}</messages></jobstatus>")

    @staticmethod
    def _error_xml(display: str, message: str, params: list[tuple[str, str]] = (), code: int = 5) -> str:
        pe = "".join(f"<paramError><param>{escape(p)}</param><error>{escape(e)}</error></paramError>"
                     for p, e in params)
        return (f"<?xml version='1.0' encoding='UTF-8'?><error><displayMessage>{escape(display)}</displayMessage>"
                f"<message>{escape(message)}</message><code>{code}</code>{pe}</error>")

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, code: int, body: str | bytes, ctype: str = "application/xml") -> None:
        data = body.encode() if isinstance(body, str) else body
        h.send_response(code)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _authorized(self, h: BaseHTTPRequestHandler) -> bool:
        want = "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        return h.headers.get("Authorization") == want and h.headers.get("cipres-appkey") == self.appid

    # ------------------------------------------------------------------ requests
    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        path = urlsplit(h.path).path
        with self._lock:
            self.log.append((method, path, time.monotonic()))
        if not self._authorized(h):
            return self._send(h, 401, self._error_xml("Authentication Error", "Invalid user name, password or "
                                                      "application key", code=0))
        parts = [unquote(p) for p in path[len(PREFIX):].strip("/").split("/")] if path.startswith(PREFIX) else []
        if len(parts) < 2 or parts[0] != "job":
            return self._send(h, 404, self._error_xml("Not found", path, code=4))
        if parts[1] != self.user:
            return self._send(h, 403, self._error_xml("Forbidden", "not your jobs", code=3))
        rest = parts[2:]
        if method == "POST" and rest in ([], ["validate"]):
            return self._submit(h, validate=bool(rest))
        if method == "GET" and not rest:
            items = "".join(f"<jobstatus><selfUri><url>{self._job_url(k)}</url><title>{k}</title></selfUri></jobstatus>"
                            for k in self.jobs)
            return self._send(h, 200, f"<joblist><title>Submitted Jobs</title><jobs>{items}</jobs></joblist>")
        job = self.jobs.get(rest[0]) if rest else None
        if job is None:
            return self._send(h, 404, self._error_xml("Job Not Found Error", f"no job {rest[:1]}", code=4))
        if method == "DELETE" and len(rest) == 1:
            if job.proc and job.proc.poll() is None:
                job.proc.kill()
            del self.jobs[job.handle]
            return self._send(h, 200, "<?xml version='1.0'?><jobstatus/>")
        if method == "GET" and len(rest) == 1:
            self._advance(job)
            return self._send(h, 200, self._status_xml(job))
        if method == "GET" and rest[1:] == ["output"]:
            if STAGES[job.stage] != "COMPLETED":
                return self._send(h, 200, "<results><jobfiles/></results>")
            files = "".join(
                f"<jobfile><downloadUri><url>{self._job_url(job.handle)}/output/{doc}</url><rel>fileDownload</rel>"
                f"<title>{escape(name)}</title></downloadUri><jobHandle>{job.handle}</jobHandle>"
                f"<filename>{escape(name)}</filename><length>{len(data)}</length>"
                f"<parameterName>{'PROCESS_OUTPUT' if name.isupper() else 'outputfiles'}</parameterName>"
                f"<outputDocumentId>{doc}</outputDocumentId></jobfile>" for doc, (name, data) in job.files.items())
            return self._send(h, 200, f"<results><jobfiles>{files}</jobfiles></results>")
        if method == "GET" and len(rest) == 3 and rest[1] == "output" and rest[2] in job.files:
            return self._send(h, 200, job.files[rest[2]][1], "application/octet-stream")
        return self._send(h, 404, self._error_xml("Not found", path, code=4))

    def _submit(self, h: BaseHTTPRequestHandler, validate: bool) -> None:
        body = h.rfile.read(int(h.headers.get("Content-Length", 0)))
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + h.headers.get("Content-Type", "").encode() + b"\r\n\r\n" + body)
        if not msg.is_multipart():
            return self._send(h, 400, self._error_xml("Form validation error.", "not multipart/form-data"))
        fields, infile = {}, None
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name == "input.infile_":
                infile = part.get_payload(decode=True)
            else:
                fields[name] = part.get_payload(decode=True).decode()
        errors = self._check(fields, infile)
        if errors:
            return self._send(h, 400, self._error_xml("Form validation error.", "Validation Error", errors))
        top = zipfile.ZipFile(io.BytesIO(infile)).namelist()[0].split("/")[0]
        cmd = f"python {top}/{fields['vparam.filename_']}"
        if validate:
            return self._send(h, 200, f"<jobstatus><commandline>{escape(cmd)}</commandline>"
                                      f"<jobStage>VALIDATED</jobStage></jobstatus>")
        handle = f"NGBW-JOB-{fields['tool']}-{uuid.uuid4().hex.upper()}"
        folder = self.root / handle
        folder.mkdir(parents=True)
        zipfile.ZipFile(io.BytesIO(infile)).extractall(folder)
        job = ServerJob(handle, fields, folder, messages=[("QUEUE", "Added to cipres run queue.")])
        self.jobs[handle] = job
        if self.run:
            job.proc = subprocess.Popen([sys.executable, f"{top}/{fields['vparam.filename_']}"], cwd=folder,
                                        env=dict(os.environ, **self.env), stdout=open(folder / "STDOUT", "wb"),
                                        stderr=open(folder / "STDERR", "wb"))
        self._send(h, 200, self._status_xml(job))

    @staticmethod
    def _check(fields: dict, infile: bytes | None) -> list[tuple[str, str]]:
        errors = []
        if fields.get("tool") not in TOOLS:
            errors.append(("tool", f"unknown tool {fields.get('tool')!r}"))
        try:
            if not 0 < float(fields.get("vparam.runtime_", "")) <= MAX_RUNTIME_H:
                raise ValueError
        except ValueError:
            errors.append(("vparam.runtime_", f"must be a number of hours between 0 and {MAX_RUNTIME_H:g}"))
        cores = fields.get("vparam.number_cores_", "")
        if not cores.isdigit() or not 1 <= int(cores) <= MAX_CORES:
            errors.append(("vparam.number_cores_", f"must be 1 to {MAX_CORES}"))
        if infile is None:
            errors.append(("input.infile_", "a zip file is required"))
            return errors
        try:
            names = zipfile.ZipFile(io.BytesIO(infile)).namelist()
        except zipfile.BadZipFile:
            return errors + [("input.infile_", "not a zip file")]
        tops = {n.split("/")[0] for n in names}
        if len(tops) != 1 or not all("/" in n for n in names):
            errors.append(("input.infile_", f"the zip must hold one top-level folder, not {sorted(tops)}"))
        elif f"{tops.pop()}/{fields.get('vparam.filename_')}" not in names:
            errors.append(("vparam.filename_", f"{fields.get('vparam.filename_')!r} is not in the zip's folder"))
        return errors

    def _advance(self, job: ServerJob) -> None:
        with job.lock:
            stage = STAGES[job.stage]
            if self.hold or stage == "COMPLETED":
                return
            if stage != "SUBMITTED":
                job.stage += 1
                job.messages.append((STAGES[job.stage], f"{STAGES[job.stage]} reached"))
                return
            if job.proc is not None and job.proc.poll() is None:
                return                                      # still running
            job.exit_code = job.proc.returncode if job.proc else 0
            job.stage += 1                                  # LOAD_RESULTS: gather the output
            job.messages.append(("LOAD_RESULTS", f"Job finished with exit code {job.exit_code}"))
            out = {"STDOUT": (job.folder / "STDOUT").read_bytes() if job.proc else b"(the script was not run)\n",
                   "STDERR": (job.folder / "STDERR").read_bytes() if job.proc else b""}
            if job.proc:
                buf = io.BytesIO()
                with tarfile.open(fileobj=buf, mode="w:gz") as tar:
                    for p in sorted(job.folder.iterdir()):
                        if p.is_dir():
                            tar.add(p, arcname=p.name)
                out["output.tar.gz"] = buf.getvalue()
            out.update(UNNEEDED)
            job.files = {str(1000 + i): (name, data) for i, (name, data) in enumerate(out.items())}
            job.messages.append(("LOAD_RESULTS", "Output files retrieved"))
