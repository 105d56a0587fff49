"""Shared pieces of the benchmarks: a dedicated database, a real server, and a small HTTP load client.

Everything talks to 127.0.0.1 only. Figures are meant to be read as ratios against a baseline
measured in the same run (the machine may be shared and noisy), so the client runs the page and
its baseline in interleaved rounds and reports medians across rounds.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Callable

PROJECT = Path(__file__).resolve().parent.parent
RESULTS = PROJECT / "bench" / "results"
PYTHON = sys.executable
HOST = "127.0.0.1"
BASELINE = "/bench/static-bytes/?of="


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- database ---------------------------------------------------------------------------------


def database_url(name: str) -> str:
    """DATABASE_URL pointing at the benchmark database ``name`` instead (never the dev one).

    Only the database name changes: host, port and user come from DATABASE_URL (or
    BENCH_DATABASE_URL, when benchmarks should run on another server).
    """
    base = os.environ.get("BENCH_DATABASE_URL") or os.environ.get(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/parallax"
    )
    if not name.startswith("parallax_bench"):
        raise SystemExit(f"refusing to benchmark in database {name!r}")
    parts = urllib.parse.urlsplit(base)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def _connect(url: str, dbname: str | None = None):
    import psycopg

    parts = urllib.parse.urlsplit(url)
    return psycopg.connect(
        host=parts.hostname or HOST,
        port=parts.port or 5432,
        user=urllib.parse.unquote(parts.username or "postgres"),
        password=urllib.parse.unquote(parts.password) if parts.password else None,
        dbname=dbname or parts.path.lstrip("/"),
        autocommit=True,
    )


def database_prepare(*, url: str, fresh: bool) -> None:
    """Create (or with ``fresh``, drop and recreate) the benchmark database."""
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    with _connect(url, dbname="postgres") as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            log(f"dropping database {name}")
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            log(f"creating database {name}")
            conn.execute(f'CREATE DATABASE "{name}"')


def sql(url: str, query: str, params: list | None = None) -> list[tuple]:
    with _connect(url) as conn:
        cur = conn.execute(query, params or [])
        return cur.fetchall() if cur.description else []


# --- the Django side ----------------------------------------------------------------------------


def server_env(*, url: str, static_root: str) -> dict[str, str]:
    """Production-like settings: DEBUG off, the benchmark URLs, the benchmark database."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.bench_settings",
        DATABASE_URL=url,
        DEBUG="0",
        SECRET_KEY="bench-only-secret-key-" + "x" * 40,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        SECURE_HSTS_SECONDS="0",
        BENCH_STATIC_ROOT=static_root,
        DEMO_PASSWORD=env.get("DEMO_PASSWORD") or "bench-demo-password",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(*args: str, env: dict[str, str], quiet: bool = False) -> str:
    command = [PYTHON, "manage.py", *args]
    log("$ " + shlex.join(["manage.py", *args]))
    done = subprocess.run(
        command,
        cwd=PROJECT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL if quiet else None,
        text=True,
    )
    if done.returncode:
        sys.stderr.write(done.stdout)
        raise SystemExit(f"manage.py {' '.join(args)} failed ({done.returncode})")
    return done.stdout


@contextmanager
def django_site(*, database: str, fresh_db: bool = False):
    """Yield the server environment after creating, migrating and collecting static for it."""
    url = database_url(database)
    database_prepare(url=url, fresh=fresh_db)
    static_root = tempfile.mkdtemp(prefix="parallax-bench-static-")
    env = server_env(url=url, static_root=static_root)
    try:
        manage("migrate", "--noinput", "-v", "0", env=env)
        manage("collectstatic", "--noinput", "-v", "0", env=env)
        yield env
    finally:
        shutil.rmtree(static_root, ignore_errors=True)


def story_ensure(
    *, env: dict[str, str], slug: str, articles: int, words: int, seed: int = 1, progress: bool = True
) -> bool:
    """Generate the synthetic story unless one with the same parameters is already there."""
    prefix = f"Synthetic (generate_articles): {articles} articles x {words} words, seed {seed},"
    rows = sql(
        env["DATABASE_URL"],
        "SELECT s.note, count(a.id) FROM articles_story s LEFT JOIN articles_article a"
        " ON a.story_id = s.id WHERE s.slug = %s GROUP BY s.note",
        [slug],
    )
    if rows and rows[0][0].startswith(prefix) and rows[0][1] == articles:
        log(f"story {slug} already generated ({articles} x {words} words)")
        return False
    args = ["generate_articles", "--story", slug, "--articles", str(articles), "--words", str(words)]
    args += ["--seed", str(seed), "--replace"] + ([] if progress else ["--no-progress"])
    manage(*args, env=env)
    return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server:
    """uvicorn serving config.asgi:application with one worker on a free port."""

    def __init__(self, env: dict[str, str], *, kind: str = "uvicorn"):
        self.env = env
        self.kind = kind
        self.port = free_port()
        self.log_file = tempfile.NamedTemporaryFile(prefix=f"parallax-bench-{kind}-", suffix=".log")
        if kind == "uvicorn":  # as in the Makefile and docs/deployment.md (one worker here)
            self.command = [
                PYTHON, "-m", "uvicorn", "config.asgi:application",
                "--host", HOST, "--port", str(self.port), "--workers", "1",
                "--lifespan", "off", "--no-access-log", "--log-level", "warning",
            ]  # fmt: skip
        elif kind == "gunicorn-wsgi":  # for comparison only: WSGI, one worker, 8 threads
            self.command = [
                PYTHON, "-m", "gunicorn", "config.wsgi:application", "-b", f"{HOST}:{self.port}",
                "-w", "1", "-k", "gthread", "--threads", "8", "--log-level", "warning",
            ]  # fmt: skip
        else:
            raise ValueError(kind)
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        log(f"starting {self.kind} on {HOST}:{self.port}")
        self.process = subprocess.Popen(
            self.command, cwd=PROJECT, env=self.env, stdout=self.log_file, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"uvicorn exited early:\n{self.log_tail()}")
            try:
                status, _, _ = fetch(self.port, "/")
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise SystemExit(f"uvicorn did not answer within 30 s:\n{self.log_tail()}")

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()

    def log_tail(self, lines: int = 40) -> str:
        self.log_file.flush()
        text = Path(self.log_file.name).read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def cpu_seconds(self) -> float:
        """User + system CPU time so far of the server process and its children (workers)."""
        ticks = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:  # the process ended meanwhile
                continue
            if stat.parent.name == str(self.process.pid) or fields[1] == str(self.process.pid):
                ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")


# --- the HTTP client ----------------------------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection; just enough of the protocol for GET and our server."""

    def __init__(self, port: int):
        self.port = port
        self.sock: socket.socket | None = None
        self.reader = None

    def _open(self) -> None:
        self.sock = socket.create_connection((HOST, self.port), timeout=60)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = self.sock.makefile("rb", buffering=256 * 1024)

    def close(self) -> None:
        if self.sock:
            self.reader.close()
            self.sock.close()
        self.sock = self.reader = None

    def get(self, request: bytes) -> tuple[int, dict[str, str], bytes]:
        for attempt in (1, 2):  # the server may close an idle keep-alive connection
            if self.sock is None:
                self._open()
            try:
                self.sock.sendall(request)
                line = self.reader.readline(65536)
                if not line:
                    raise ConnectionError("connection closed")
                break
            except (ConnectionError, BrokenPipeError):
                self.close()
                if attempt == 2:
                    raise
        status = int(line.split(b" ", 2)[1])
        headers: dict[str, str] = {}
        while True:
            line = self.reader.readline(65536)
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = self.reader.read(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.reader.readline().split(b";")[0], 16)
                chunk = self.reader.read(size + 2)[:size]
                if not size:
                    break
                chunks.append(chunk)
            body = b"".join(chunks)
        else:
            body = self.reader.read()
            self.close()
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, body


def request_bytes(port: int, path: str) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nUser-Agent: parallax-bench\r\n"
        "Accept: text/html\r\nConnection: keep-alive\r\n\r\n"
    ).encode("ascii")


def fetch(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    conn = Connection(port)
    try:
        return conn.get(request_bytes(port, path))
    finally:
        conn.close()


def percentile(sorted_values: list[float], share: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, round(share * len(sorted_values) + 0.5))
    return sorted_values[min(rank, len(sorted_values)) - 1]


@dataclass
class Phase:
    """One measured burst of load against one URL."""

    path: str
    concurrency: int
    seconds: float
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    response_bytes: int
    server_cpu: float  # cores used by the server process during the phase (1.0 = one core)
    client_cpu: float  # cores used by this client process


def load(
    server: Server,
    path: str,
    *,
    concurrency: int,
    duration: float,
    warmup: float,
    min_requests: int = 30,
    max_requests: int = 200_000,
    make_request: Callable[[int], bytes] | None = None,
) -> Phase:
    """Closed-loop load: ``concurrency`` connections each send the next request when one returns.

    Requests finishing in the first ``warmup`` seconds are discarded. The phase ends after
    ``duration`` measured seconds, extended (up to 3 x ``duration``) until at least
    ``min_requests`` were measured so a slow page still gets a usable p95, and stops early at
    ``max_requests``.

    ``make_request(worker_index)``, if given, builds each request's bytes (e.g. a POST with its
    own cookies and body) instead of a plain GET of ``path``; ``path`` then only labels the phase.
    """
    request = request_bytes(server.port, path)
    start = time.perf_counter()
    measure_from = start + warmup
    stop_at = measure_from + duration
    hard_stop = measure_from + 3 * duration
    counter = itertools.count()
    measured = [0]
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors = [0] * concurrency
    sizes: set[int] = set()
    failures: list[str] = []
    marks: dict[str, float] = {}
    barrier = threading.Barrier(concurrency + 1)

    def worker(index: int) -> None:
        conn = Connection(server.port)
        mine = latencies[index]
        barrier.wait()
        try:
            while True:
                sent = time.perf_counter()
                if sent >= stop_at and (measured[0] >= min_requests or sent >= hard_stop):
                    break
                try:
                    status, _, body = conn.get(make_request(index) if make_request else request)
                except OSError as exc:
                    errors[index] += 1
                    failures.append(repr(exc))
                    conn.close()
                    continue
                done = time.perf_counter()
                if sent < measure_from:
                    continue
                if not 200 <= status < 300:  # e.g. 201 Created from a highlight
                    errors[index] += 1
                    failures.append(f"HTTP {status}")
                    continue
                mine.append(done - sent)
                measured[0] += 1
                sizes.add(len(body))
                if next(counter) >= max_requests:
                    break
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    barrier.wait()
    # CPU use is sampled over the measured window only.
    while time.perf_counter() < measure_from:
        time.sleep(0.01)
    marks["wall"], marks["server"], marks["client"] = (
        time.perf_counter(), server.cpu_seconds(), time.process_time(),
    )  # fmt: skip
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - marks["wall"]
    server_cpu = (server.cpu_seconds() - marks["server"]) / wall
    client_cpu = (time.process_time() - marks["client"]) / wall
    values = sorted(itertools.chain.from_iterable(latencies))
    if not values:
        raise SystemExit(f"{path}: no successful requests ({failures[:3]})")
    if sum(errors):
        log(f"{path}: {sum(errors)} errors, e.g. {failures[:3]}")
    return Phase(
        path=path,
        concurrency=concurrency,
        seconds=round(wall, 3),
        requests=len(values),
        errors=sum(errors),
        rps=len(values) / wall,
        p50_ms=percentile(values, 0.50) * 1000,
        p95_ms=percentile(values, 0.95) * 1000,
        p99_ms=percentile(values, 0.99) * 1000,
        mean_ms=statistics.fmean(values) * 1000,
        response_bytes=max(sizes),
        server_cpu=round(server_cpu, 2),
        client_cpu=round(client_cpu, 2),
    )


@dataclass
class Comparison:
    """A page against its baseline: interleaved rounds, medians across rounds, and ratios."""

    name: str
    page: str
    baseline: str
    concurrency: int
    rounds: list[dict] = field(default_factory=list)
    summary: dict = field(default_factory=dict)


def median_of(phases: list[Phase], attr: str) -> float:
    return statistics.median(getattr(p, attr) for p in phases)


def compare(
    server: Server,
    *,
    name: str,
    page: str,
    rounds: int,
    concurrency: int,
    duration: float,
    warmup: float,
) -> Comparison:
    """Measure ``page`` and its in-memory baseline alternately (A B, B A, A B, ...)."""
    baseline = BASELINE + urllib.parse.quote(page, safe="/")
    status, _, real = fetch(server.port, page)
    if status != 200:
        raise SystemExit(f"{page}: HTTP {status}")
    status, _, copy = fetch(server.port, baseline)  # captures the page's bytes in the server
    if status != 200:
        raise SystemExit(f"{baseline}: HTTP {status}\n{server.log_tail()}")
    if abs(len(real) - len(copy)) > 64:  # per-response CSRF tokens aside, the bytes match
        raise SystemExit(f"{baseline} returned {len(copy)} bytes, {page} {len(real)}")
    result = Comparison(name=name, page=page, baseline=baseline, concurrency=concurrency)
    phases: dict[str, list[Phase]] = {"page": [], "baseline": []}
    for number in range(rounds):
        order = ["page", "baseline"] if number % 2 == 0 else ["baseline", "page"]
        row = {}
        for kind in order:
            phase = load(
                server,
                page if kind == "page" else baseline,
                concurrency=concurrency,
                duration=duration,
                warmup=warmup,
            )
            phases[kind].append(phase)
            row[kind] = asdict(phase)
            log(
                f"{name} round {number + 1} {kind:8}: {phase.rps:8.1f} req/s  p50 {phase.p50_ms:7.1f} ms"
                f"  p95 {phase.p95_ms:7.1f} ms  ({phase.requests} req, server cpu {phase.server_cpu},"
                f" client cpu {phase.client_cpu})"
            )
        result.rounds.append(row)
    summary = {}
    for kind, items in phases.items():
        summary[kind] = {
            attr: round(median_of(items, attr), 2)
            for attr in ("rps", "p50_ms", "p95_ms", "p99_ms", "mean_ms", "server_cpu", "client_cpu")
        }
        summary[kind]["response_bytes"] = items[0].response_bytes
        summary[kind]["requests"] = sum(p.requests for p in items)
        summary[kind]["errors"] = sum(p.errors for p in items)
    summary["ratio"] = {
        "rps": round(summary["page"]["rps"] / summary["baseline"]["rps"], 3),
        "p50": round(summary["page"]["p50_ms"] / summary["baseline"]["p50_ms"], 2),
        "p95": round(summary["page"]["p95_ms"] / summary["baseline"]["p95_ms"], 2),
    }
    result.summary = summary
    return result


# --- reporting ----------------------------------------------------------------------------------


def machine() -> dict:
    def run(*command: str) -> str:
        try:
            return subprocess.run(command, capture_output=True, text=True, timeout=10).stdout.strip()
        except OSError:
            return ""

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "nproc": run("nproc"),
        "cpu": cpu,
        "free_h": run("free", "-h"),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgres": run("psql", "--version") or "?",
        "git": run("git", "-C", str(PROJECT), "rev-parse", "--short", "HEAD"),
        "git_dirty": bool(run("git", "-C", str(PROJECT), "status", "--porcelain")),
    }


def save(name: str, data: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    data = {
        "benchmark": name,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": shlex.join([".venv/bin/python", *[_relative(a) for a in sys.argv]]),
        "machine": machine(),
        **data,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    log(f"wrote {path.relative_to(PROJECT)}")
    return path


def _relative(arg: str) -> str:
    try:
        return str(Path(arg).resolve().relative_to(PROJECT))
    except ValueError:
        return arg


def comparison_table(comparisons: list[dict], *, label: str = "Page") -> str:
    lines = [
        f"| {label} | Size | Page req/s | Baseline req/s | **Throughput ratio** | Page p50 / p95 / p99 ms"
        " | Baseline p50 / p95 / p99 ms | **p50 ratio** | **p95 ratio** |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for c in comparisons:
        s, b, r = c["summary"]["page"], c["summary"]["baseline"], c["summary"]["ratio"]
        lines.append(
            f"| {c['name']} | {s['response_bytes'] / 1024:.0f} KiB | {s['rps']:.1f} | {b['rps']:.1f}"
            f" | **{r['rps']:.3f}** | {s['p50_ms']:.1f} / {s['p95_ms']:.1f} / {s['p99_ms']:.1f}"
            f" | {b['p50_ms']:.1f} / {b['p95_ms']:.1f} / {b['p99_ms']:.1f}"
            f" | **{r['p50']:.1f}×** | **{r['p95']:.1f}×** |"
        )
    return "\n".join(lines)


def common_arguments(parser: argparse.ArgumentParser, *, concurrency: int, duration: float) -> None:
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--concurrency", type=int, default=concurrency)
    parser.add_argument("--duration", type=float, default=duration, help="measured seconds per phase")
    parser.add_argument("--warmup", type=float, default=1.0, help="discarded seconds per phase")
    parser.add_argument("--fresh-db", action="store_true", help="drop and recreate the bench database")
    parser.add_argument("--no-progress", action="store_true")
