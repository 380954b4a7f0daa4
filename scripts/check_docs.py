#!/usr/bin/env python3
"""Walks the commands of the docs as a reader would type them, and fails on
any that does not run as written.

Called by scripts/check-docs.sh, which builds `understudy`, puts it on the
PATH and provides the Python packages. Read from README.md, tests/README.md
and docs/*.md:

- shell commands: `$ ` lines of `console` blocks, each line of `sh`/`bash`
  blocks and of indented blocks that start with a command, in document
  order, in one shell session per file (a scratch directory holding
  `recordings/`, `deploy/`, `plugins/` and `scripts/` of the checkout, so
  paths read as in the docs); `export` carries over, servers started by a
  command (`understudy replay`, a trailing `&`) keep running for the
  commands after them, and a command shown with an `error:` answer must
  fail. The output a console block shows must appear in the real output,
  line by line in order, with times, ids and speeds masked (and every
  number masked where the run is not deterministic); `…` lines stand for
  anything.
- `sql` (DuckDB) and `python` blocks of docs/recording-format.md and
  README.md, run against recordings/conflict, recordings/harmony and a
  recording with a gap, with `rec/` standing for each; every query must
  return rows for at least one of them, and the Python snippets' results
  are checked against the recording (row counts, `series_id`).

What cannot run here (a live cluster, the network, the suite itself) is
in SKIPS below, with its reason, and printed on every run.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = os.environ.get("CHECK_DOCS_PYTHON", sys.executable)
SLOW = os.environ.get("CHECK_DOCS_SLOW") == "1"

# (pattern on the command, reason). Matched before anything runs, and
# printed: nothing is skipped without saying so.
SKIPS = [
    (r"^\./scripts/test\.sh", "the whole test suite, which runs this check"),
    (r"^scripts/check-docs\.sh", "this check itself"),
    (
        r"^cargo test -p understudy-cli --test hostile_requests",
        "part of scripts/test.sh (cargo test --workspace)",
    ),
    (r"^cargo install cargo-fuzz", "downloads from crates.io"),
    (r"^scripts/fuzz\.sh", "fuzzing runs for minutes per target and is not part of CI"),
    (r"^kubectl -n monitoring port-forward", "needs a live cluster"),
]
if not SLOW:
    SKIPS += [
        (
            r"^cargo (install --locked --path crates/cli|build --release -p understudy-cli)$",
            "builds understudy in release mode (minutes); the check puts its debug build "
            "on the PATH instead; CHECK_DOCS_SLOW=1 runs it",
        ),
        (
            r"^\./scripts/demo\.sh",
            "builds the workspace in release mode (minutes); CHECK_DOCS_SLOW=1 runs it",
        ),
        (
            r"^(understudy plugin new|cd queue-per-replica|cargo (test|build --release --target wasm32-wasip2)$"
            r"|understudy (plugin test|kpi run) (target/|\.\./recordings/conflict --plugin target/))",
            "builds a new plugin crate for wasm (minutes); CHECK_DOCS_SLOW=1 runs it",
        ),
    ]

# A synopsis names its arguments instead of giving them.
PLACEHOLDER = re.compile(r"\[--|\b(DIR|DIR2|FILE|URL|ADDR|NAME|OFFSET|SELECTOR)\b|\bK=V\b|FILE\.wasm")

# Commands that serve until stopped: (pattern, ports they listen on by default).
SERVERS = [
    (r"^understudy replay\b", [9090]),
    (r"^understudy dashboard\b", [9092]),
    (r"^\./scripts/demo\.sh", [9090]),
]

# Commands that run until stopped on purpose: run them this long, then
# interrupt them as a reader would with Ctrl-C, and expect what the docs say.
INTERRUPTED = [
    (r"--speed realtime", 3.0, "interrupted: closed the recording"),
    (r"\bkubectl get .* -w\b", 3.0, None),
]

# What a passage assumes is already running, as its prose says: (file,
# pattern on the first command that needs it, the command that starts it).
REQUIRES = [
    ("docs/replay-on-stage.md", r"^curl -s 127\.0\.0\.1:9090/-/replay$", "understudy replay recordings/conflict"),
]

# What happens while a command runs, as its passage tells: (pattern, after
# how many seconds, what). The only one: docs/loadgen.md's restart.
DURING = [
    (r"^understudy loadgen .*--ack-timeout 1s", 1.5, "restart-nats"),
]

# The documents' own scratch paths, removed before each document.
TMP_PATHS = ["/tmp/understudy-demo", "/tmp/k", "/tmp/conflict", "/tmp/harmony", "/tmp/mine", "/tmp/live"]


@dataclass
class Command:
    file: str
    line: int
    text: str
    expected: list[str] = field(default_factory=list)


@dataclass
class Snippet:
    file: str
    line: int
    lang: str
    text: str


def blocks(path: Path):
    """(line, lang, lines) of fenced blocks, and indented blocks as lang
    `indented`."""
    lines = path.read_text().split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)```(\w*)", lines[i])
        if m:
            indent, lang = m.groups()
            j = i + 1
            while j < len(lines) and not re.match(r"^\s*```\s*$", lines[j]):
                j += 1
            yield i + 1, lang, [l[len(indent):] for l in lines[i + 1 : j]]
            i = j + 1
            continue
        if lines[i].startswith("    ") and (i == 0 or lines[i - 1].strip() == ""):
            j = i
            while j < len(lines) and (lines[j].startswith("    ") or lines[j].strip() == ""):
                j += 1
            body = [l[4:] for l in lines[i:j]]
            while body and not body[-1].strip():
                body.pop()
            yield i + 1, "indented", body
            i = j
            continue
        i += 1


COMMAND_WORDS = ("understudy ", "export ", "kubectl ", "curl ", "cargo ", "cd ", "./scripts/", "scripts/", "plugins/")


def extract(path: Path):
    rel = str(path.relative_to(ROOT))
    items: list[Command | Snippet] = []
    for line, lang, body in blocks(path):
        if lang == "console":
            for k, l in enumerate(body):
                if l.startswith("$ "):
                    items.append(Command(rel, line + 1 + k, l[2:].strip()))
                elif items and isinstance(items[-1], Command) and items[-1].file == rel:
                    items[-1].expected.append(l)
        elif lang in ("sh", "bash", "indented"):
            if lang == "indented" and not body[0].startswith(COMMAND_WORDS):
                continue
            if lang == "indented":
                # A synopsis continues on lines indented under its command.
                body = [l + " \\" if k + 1 < len(body) and body[k + 1].startswith(" ")
                        and not l.endswith("\\") else l
                        for k, l in enumerate(body)]
            joined, start = "", None
            for k, l in enumerate(body):
                if start is None:
                    start = line + 1 + k
                joined += l.rstrip("\\").rstrip() + " " if l.endswith("\\") else l
                if l.endswith("\\"):
                    continue
                text = re.sub(r"\s+#.*$", "", joined).strip()
                if text and not text.startswith("#"):
                    items.append(Command(rel, start, re.sub(r"\s+", " ", text)))
                joined, start = "", None
        elif lang in ("sql", "python"):
            items.append(Snippet(rel, line, lang, "\n".join(body)))
    return items


MASKS = [
    (re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]+Z\s+"), ""),  # log timestamps
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"), "<time>"),
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<uuid>"),
    (re.compile(r"\bin \d[\d.]* ?m?s\b"), "in <wall time>"),
    (re.compile(r"\(\d+ simulated s per wall s\)"), "(<speed>)"),
]


def normalize(line: str, deterministic: bool) -> str:
    for rx, to in MASKS:
        line = rx.sub(to, line)
    if not deterministic:
        line = re.sub(r"\d[\d,.]*", "N", line)
    return " ".join(line.split())


def missing_lines(expected: list[str], actual: str, deterministic: bool) -> list[str]:
    """The doc's lines that do not appear, in order, in the real output."""
    got = [normalize(l, deterministic) for l in actual.split("\n")]
    missing, pos = [], 0
    for want in expected:
        w = normalize(want, deterministic)
        if not w or w in ("…", "..."):
            continue
        prefix = w.endswith("…")
        w = w.rstrip("…").rstrip()
        for k in range(pos, len(got)):
            if got[k] == w or (prefix and got[k].startswith(w)):
                pos = k + 1
                break
        else:
            missing.append(want)
    return missing


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def listen_ports(cmd: str, default: list[int]) -> list[int]:
    ports = [int(p) for p in re.findall(r"--(?:kube-)?listen \S*:(\d+)", cmd)]
    if not re.search(r"--listen ", cmd):
        ports += default
    return ports


class Session:
    """One reader's shell: a working directory, exported variables and the
    servers still running."""

    def __init__(self, work: Path, env: dict[str, str]):
        self.work, self.env = work, dict(env)
        self.servers: list[tuple[subprocess.Popen, list[int], Path]] = []

    def stop_servers(self, ports: list[int] | None = None):
        for p, sp, log in list(self.servers):
            if ports is None or set(sp) & set(ports):
                os.killpg(p.pid, signal.SIGINT)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
                self.servers.remove((p, sp, log))

    def run(self, c: Command) -> str | None:
        """None when it ran as written, else what went wrong."""
        text = c.text
        if text.startswith("export "):
            name = text[len("export ") :].partition("=")[0]
            r = subprocess.run(
                ["bash", "-c", f'{text} && printf %s "${name}"'], cwd=self.work,
                env={**self.env, "PWD": str(self.work)}, capture_output=True, text=True,
            )
            if r.returncode != 0:
                return f"exit status {r.returncode}:\n{indent(r.stderr)}"
            self.env[name] = r.stdout
            return None
        if text.startswith("cd "):
            self.work = (self.work / text[3:]).resolve()
            return None
        for file, rx, server in REQUIRES:
            if c.file == file and re.search(rx, text) and not self.servers:
                print(f"setup: {server} (running, as the passage assumes)", flush=True)
                problem = self.serve(Command(c.file, c.line, server), listen_ports(server, [9090]))
                if problem:
                    return f"could not start {server}: {problem}"
        deterministic = "recordings/" in text or "--seed" in text
        expect_failure = any(re.match(r"^(error:|Error from server)", l) for l in c.expected)
        for rx, default in SERVERS:
            if re.search(rx, text) or text.endswith("&"):
                return self.serve(c, listen_ports(text, default if re.search(rx, text) else []))
        for rx, seconds, says in INTERRUPTED:
            if re.search(rx, text):
                return self.interrupt(c, seconds, says)
        p = subprocess.Popen(
            ["bash", "-c", text], cwd=self.work, env=self.env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        )
        for rx, after, what in DURING:
            if re.search(rx, text):
                time.sleep(after)
                print(f"setup: {what} while it runs, as the passage says", flush=True)
                HOOKS[what]()
        try:
            out = p.communicate(timeout=600)[0]
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            return "did not finish within 600 s"
        r = subprocess.CompletedProcess(p.args, p.returncode)
        if expect_failure and r.returncode == 0:
            return f"succeeded, but the docs show it failing:\n{indent(out)}"
        if not expect_failure and r.returncode != 0:
            return f"exit status {r.returncode}:\n{indent(out)}"
        missing = missing_lines(c.expected, out, deterministic)
        if missing:
            return "output differs from the docs; not found in order:\n" + indent(
                "\n".join(missing)
            ) + "\n  real output:\n" + indent(out)
        return None

    def serve(self, c: Command, ports: list[int]) -> str | None:
        self.stop_servers(ports)
        for p in ports:
            if port_open(p):
                return f"port {p} is taken by a process this check did not start; free it and run again"
        log = self.work / f".server-{c.line}.log"
        p = subprocess.Popen(
            ["bash", "-c", "exec " + c.text.rstrip("&").strip()], cwd=self.work, env=self.env,
            stdout=log.open("w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.servers.append((p, ports, log))
        deadline = time.monotonic() + 300
        while not all(port_open(x) for x in ports):
            if p.poll() is not None:
                return f"exited with status {p.returncode} before serving:\n{indent(log.read_text())}"
            if time.monotonic() > deadline:
                return f"did not listen on {ports} within 300 s"
            time.sleep(0.1)
        if "--write-kubeconfig" in c.text:
            kc = self.work / c.text.split("--write-kubeconfig ")[1].split()[0]
            while not kc.exists() and p.poll() is None:
                time.sleep(0.1)
        logs = [l for l in c.expected if re.match(r"^(INFO|WARN) ", l)]
        missing = missing_lines(logs, log.read_text(), True)
        if missing:
            return "its log differs from the docs; not found:\n" + indent("\n".join(missing)) + (
                "\n  real log:\n" + indent(log.read_text())
            )
        return None

    def interrupt(self, c: Command, seconds: float, says: str | None) -> str | None:
        p = subprocess.Popen(
            ["bash", "-c", "exec " + c.text], cwd=self.work, env=self.env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        )
        time.sleep(seconds)
        if p.poll() is not None:
            return f"ended by itself (status {p.returncode}) instead of running until stopped:\n{indent(p.communicate()[0])}"
        os.killpg(p.pid, signal.SIGINT)
        try:
            out = p.communicate(timeout=30)[0]
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            return "did not stop within 30 s of Ctrl-C"
        if says and says not in out:
            return f"Ctrl-C did not say {says!r}:\n{indent(out)}"
        if not says and not out.strip():
            return "printed nothing"
        return None


def indent(s: str) -> str:
    lines = s.rstrip("\n").split("\n")
    if len(lines) > 40:
        lines = lines[:40] + [f"… ({len(lines) - 40} more lines)"]
    return "\n".join("    " + l for l in lines)


# What each snippet must leave behind, checked after it ran on a recording.
PY_CHECKS = """
import pyarrow.parquet as _pq, json as _json
_m = _json.load(open("rec/manifest.json"))
_rows = sum(f["rows"] for s in _m["segments"] for f in s["files"] if f["table"] == "samples")
_series = _pq.read_table("rec/series")
if "series_id" in globals():
    for _r in _series.to_pylist():
        assert series_id(_r["metric"], dict(_r["labels"])) == _r["series_id"], _r
    print("rows", len(_series))
elif "df" in globals():
    assert len(df) == _rows, (len(df), _rows)
    assert "pod" in df.columns
    print("rows", len(df))
elif "table" in globals():
    assert table.num_rows == _rows and "labels" in table.column_names
    print("rows", table.num_rows)
elif "samples" in globals():
    assert samples.num_rows == _rows, (samples.num_rows, _rows)
    print("rows", samples.num_rows)
else:
    raise SystemExit("the snippet left nothing to check")
"""


def run_snippet(s: Snippet, recs: list[Path]) -> str | None:
    rows = {}
    for rec in recs:
        code = s.text
        if s.lang == "sql":
            code = f"import duckdb\nprint('rows', len(duckdb.sql({code!r}).fetchall()))"
        else:
            code += "\n" + PY_CHECKS
        code = code.replace("rec/", f"{rec}/")
        r = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            return f"fails on {rec}:\n{indent(r.stderr or r.stdout)}"
        m = re.search(r"^rows (\d+)$", r.stdout, re.M)
        rows[rec.name] = int(m.group(1)) if m else 0
    if not any(rows.values()):
        return f"returns no rows from any of {', '.join(rows)}"
    return None


# `understudy_*` names in the code that are not metrics of their own: the
# label and metric name of recorded queries (docs/recording-format.md).
NOT_METRICS = {"understudy_query", "understudy_query_result"}


def table(md: str, heading: str) -> list[list[str]]:
    """Rows of the tables after `heading`, up to the next heading of its
    level or above, first cell without backquotes or labels."""
    level = heading.split(" ")[0]
    section = md.split(heading + "\n", 1)[1]
    section = re.split(rf"^#{{1,{len(level)}}} ", section, flags=re.M)[0]
    rows = []
    for line in section.split("\n"):
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            cells[0] = cells[0].strip("`").split("{")[0]
            rows.append(cells)
    return rows


def check_health_table(work: Path, md: str | None = None) -> str | None:
    """docs/configuration.md's Health tables against what `understudy record`
    serves on /metrics and every `understudy_*` series the code names."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    p = subprocess.Popen(
        ["understudy", "record", "--config", str(ROOT / "deploy/empty.toml"), "--out",
         str(work / "health"), "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        while not port_open(port):
            if p.poll() is not None:
                return f"understudy record exited with status {p.returncode}"
            time.sleep(0.1)
        metrics = subprocess.run(
            ["curl", "-sf", f"http://127.0.0.1:{port}/metrics"], capture_output=True, text=True,
            check=True,
        ).stdout
    finally:
        os.killpg(p.pid, signal.SIGINT)
        p.wait()
    served = {}
    for m in re.finditer(r"^# (HELP|TYPE) (\S+) (.*)$", metrics, re.M):
        served.setdefault(m.group(2), {})[m.group(1)] = m.group(3)
    md = md or (ROOT / "docs/configuration.md").read_text()
    rows = table(md, "## Health")
    documented = {r[0]: {"TYPE": r[1], "HELP": r[2]} for r in rows if len(r) == 3}
    recorded = {r[0] for r in rows if len(r) == 4}
    problems = [
        f"{name}: /metrics says {served.get(name)}, the table {documented.get(name)}"
        for name in sorted(set(served) | set(documented))
        if served.get(name) != documented.get(name)
    ]
    code = set()
    for rs in (ROOT / "crates").glob("*/src/**/*.rs"):
        code |= set(re.findall(r'"(understudy_[a-z0-9_]+)"', rs.read_text()))
    code -= NOT_METRICS | set(served)
    problems += [f"{n}: named in the code, not in the table of source series" for n in sorted(code - recorded)]
    problems += [f"{n}: in the table of source series, not in the code" for n in sorted(recorded - code)]
    return "\n".join(problems) or None


def main() -> int:
    files = [ROOT / "README.md", ROOT / "tests/README.md"] + sorted((ROOT / "docs").glob("*.md"))
    only = sys.argv[1:]
    if only:
        files = [f for f in files if any(str(f).endswith(o) for o in only)]
    scratch = Path(tempfile.mkdtemp(prefix="understudy-docs-"))
    for p in TMP_PATHS:
        shutil.rmtree(p, ignore_errors=True)
    failures, ran, skipped = [], 0, []
    try:
        fixtures = setup(scratch)
        for f in files:
            work = scratch / str(f.relative_to(ROOT)).replace("/", "-")
            work.mkdir()
            for p in TMP_PATHS[2:]:  # /tmp/k and the demo are README's fixtures
                shutil.rmtree(p, ignore_errors=True)
            shutil.copytree(ROOT / "recordings", work / "recordings")
            for d in ("deploy", "plugins", "scripts", "crates"):
                (work / d).symlink_to(ROOT / d)
            shutil.copy(ROOT / "deploy/scenarios/conflict.yaml", work / "my-scenario.yaml")
            env = dict(fixtures["env"])
            if f.name == "plugin-guide.md":
                # Its new plugin is built as a reader builds it, into the
                # plugin's own target/ where the guide's next commands look.
                env.pop("CARGO_TARGET_DIR", None)
            session = Session(work, env)
            try:
                for item in extract(f):
                    where = f"{item.file}:{item.line}"
                    if isinstance(item, Snippet):
                        what = f"{item.lang} snippet"
                        problem = run_snippet(item, fixtures["recs"])
                    else:
                        what = item.text
                        reason = next((r for rx, r in SKIPS if re.search(rx, item.text)), None)
                        if reason is None and PLACEHOLDER.search(item.text):
                            reason = "a synopsis: its arguments are placeholders"
                        if reason:
                            skipped.append((where, what, reason))
                            continue
                        problem = session.run(item)
                    ran += 1
                    status = "ok  " if problem is None else "FAIL"
                    print(f"{status} {where}  {what}", flush=True)
                    if problem:
                        print(problem, flush=True)
                        failures.append((where, what))
            finally:
                session.stop_servers()
        if any(f.name == "configuration.md" for f in files):
            what = "health metrics tables against /metrics and the code"
            problem = check_health_table(scratch)
            ran += 1
            print(f"{'ok  ' if problem is None else 'FAIL'} docs/configuration.md  {what}", flush=True)
            if problem:
                print(indent(problem), flush=True)
                failures.append(("docs/configuration.md", what))
    finally:
        teardown()
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"\nskipped {len(skipped)} (not runnable here, on purpose):")
    for where, what, reason in skipped:
        print(f"  {where}  {what}\n      {reason}")
    print(f"\n{ran} ran, {len(failures)} failed, {len(skipped)} skipped")
    for where, what in failures:
        print(f"  FAIL {where}  {what}")
    return 1 if failures else 0


STARTED: list[subprocess.Popen] = []
HOOKS: dict = {}


def setup(scratch: Path) -> dict:
    """What the docs assume exists: a NATS server with the talk's stream for
    docs/loadgen.md, README's killed recorder in /tmp/k, and a recording
    with a gap for the gap queries."""
    env = dict(os.environ)
    say = lambda s: print(f"setup: {s}", flush=True)  # noqa: E731
    empty = ROOT / "deploy/empty.toml"

    def record(out: Path, seconds: str):
        subprocess.run(
            ["understudy", "record", "--config", str(empty), "--out", str(out), "--duration", seconds,
             "--listen", "127.0.0.1:0"],
            check=True, capture_output=True,
        )

    gapped = scratch / "gapped"
    say(f"{gapped}: a recorder run twice, a gap between (for the gap queries)")
    record(gapped, "2s")
    record(gapped, "2s")

    say("/tmp/k: a recorder killed with kill -9 (README's repair example)")
    p = subprocess.Popen(
        ["understudy", "record", "--config", str(empty), "--out", "/tmp/k", "--listen", "127.0.0.1:0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    while not Path("/tmp/k/journal.wal").exists() or Path("/tmp/k/journal.wal").stat().st_size < 200:
        time.sleep(0.2)
    time.sleep(3)
    p.kill()
    p.wait()

    if port_open(4222):
        raise SystemExit("port 4222 is taken; docs/loadgen.md's commands use the default NATS port")
    say("nats-server -js on 127.0.0.1:4222 with stream MEMES on meme.request (docs/loadgen.md)")
    def start_nats():
        p = subprocess.Popen(
            ["nats-server", "-js", "-a", "127.0.0.1", "-p", "4222", "-sd", str(scratch / "nats")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        while not port_open(4222):
            time.sleep(0.1)
        return p

    nats = start_nats()
    STARTED.append(nats)
    while not port_open(4222):
        time.sleep(0.1)
    create_stream("MEMES", "meme.request")

    def restart_nats():
        nats = STARTED.pop()
        nats.terminate()
        nats.wait()
        time.sleep(2)  # longer than --ack-timeout, so messages in flight fail
        STARTED.append(start_nats())

    HOOKS["restart-nats"] = restart_nats
    return {"env": env, "recs": [ROOT / "recordings/conflict", ROOT / "recordings/harmony", gapped]}


def create_stream(name: str, subject: str):
    """$JS.API.STREAM.CREATE over the plain NATS protocol (no nats CLI here)."""
    body = f'{{"name":"{name}","subjects":["{subject}"],"storage":"file"}}'.encode()
    with socket.create_connection(("127.0.0.1", 4222), timeout=10) as s:
        f = s.makefile("rb")
        f.readline()  # INFO
        s.sendall(b'CONNECT {"verbose":false,"headers":true}\r\nSUB _INBOX.docs 1\r\n')
        s.sendall(b"PUB $JS.API.STREAM.CREATE.%s _INBOX.docs %d\r\n%s\r\n" % (name.encode(), len(body), body))
        while True:
            line = f.readline()
            if line.startswith(b"MSG"):
                answer = f.read(int(line.split()[-1]) + 2)
                if b'"error"' in answer:
                    raise SystemExit(f"creating stream {name}: {answer!r}")
                return
            if line.startswith(b"PING"):
                s.sendall(b"PONG\r\n")


def teardown():
    for p in STARTED:
        os.killpg(p.pid, signal.SIGTERM)
        p.wait()


if __name__ == "__main__":
    sys.exit(main())
