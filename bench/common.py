"""Shared pieces of the benchmarks: a dedicated database, the real servers, and the report files.

Load is driven by wrk (bench/wrk.py); this module only prepares what wrk is pointed at. Everything
talks to 127.0.0.1 only. Figures are read as ratios against a baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

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
        raise SystemExit(f"refusing to benchmark in database {name!r} (use a parallax_bench_* name)")
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


def django_setup(env: dict[str, str]) -> None:
    """Use the benchmark database from this process too (for data set-up and query counts)."""
    os.environ.update(env)
    # Playwright's sync API runs an event loop in this thread; the ORM is still used
    # synchronously from here only (see the root conftest.py).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    sys.path.insert(0, str(PROJECT))
    import django

    django.setup()


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


# --- servers ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def fetch(port: int, path: str, headers: dict | None = None) -> tuple[int, bytes]:
    """One plain GET (set-up checks and capturing baselines, never load)."""
    request = urllib.request.Request(f"http://{HOST}:{port}{path}", headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


#: The server set-ups, one worker process each. "wsgi" and "asgi" are what production runs
#: (docs/deployment.md: pages, fragments, writes and the API on WSGI; the live stream on ASGI);
#: the others are there to compare.
def _project_command(name: str):
    """A command line from config/serve.py (the production servers, make run's server)."""

    def command(port) -> list[str]:
        sys.path.insert(0, str(PROJECT))
        from config import serve

        if name == "make-run":
            return serve.command(host=HOST, port=port, access_log=False)
        return getattr(serve, name)(host=HOST, port=port)

    return command


SERVERS = {
    # gunicorn's threaded worker: one process, 8 threads: production's WSGI server.
    "gthread": _project_command("pages_command"),
    # granian's WSGI interface: Rust HTTP, Django in 8 blocking threads.
    "granian-wsgi": lambda port: [
        PYTHON, "-m", "granian", "--interface", "wsgi", "config.wsgi:application",
        "--host", HOST, "--port", str(port), "--workers", "1", "--blocking-threads", "8",
        "--no-access-log", "--log-level", "warning",
    ],
    # uvicorn on Django's ASGI handler: production's ASGI server for the live stream (it served
    # everything before issue 18).
    "uvicorn": _project_command("live_command"),
    # granian's ASGI interface on Django's ASGI handler.
    "granian-asgi": lambda port: [
        PYTHON, "-m", "granian", "--interface", "asgi", "config.asgi:application",
        "--host", HOST, "--port", str(port), "--workers", "1", "--no-access-log",
        "--log-level", "warning",
    ],
    # make run's one server (config/serve.py): granian with config.dispatch.
    "make-run": _project_command("make-run"),
}  # fmt: skip
#: The production pair (config/serve.py and docs/deployment.md use the same servers).
WSGI = "gthread"
ASGI = "uvicorn"


class Server:
    """One server set-up from SERVERS on a free port, or ``command`` (with ``{port}``)."""

    def __init__(self, env: dict[str, str], *, kind: str = WSGI, command: list[str] | None = None,
                 ready_path: str = "/"):  # fmt: skip
        self.env = env
        self.kind = kind
        self.port = free_port()
        self.ready_path = ready_path
        self.log_file = tempfile.NamedTemporaryFile(prefix=f"parallax-bench-{kind}-", suffix=".log")
        if command is not None:
            self.command = [part.replace("{port}", str(self.port)) for part in command]
        else:
            self.command = SERVERS[kind](self.port)
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def __enter__(self) -> Server:
        log(f"starting {self.kind} on {HOST}:{self.port}")
        self.process = subprocess.Popen(
            self.command, cwd=PROJECT, env=self.env, stdout=self.log_file, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, ended as one in __exit__
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.kind} exited early:\n{self.log_tail()}")
            try:
                status, _ = fetch(self.port, self.ready_path)
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise SystemExit(f"{self.kind} did not answer within 60 s:\n{self.log_tail()}")

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log_file.close()

    def log_tail(self, lines: int = 40) -> str:
        self.log_file.flush()
        text = Path(self.log_file.name).read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def pids(self) -> list[str]:
        """The server's process and every process in its group (workers, a proxy's servers)."""
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:  # the process ended meanwhile
                continue
            if fields[2] == str(self.process.pid):  # process group id
                found.append(stat.parent.name)
        return found

    def cpu_seconds(self) -> float:
        """User + system CPU time so far of the server's process group."""
        ticks = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def rss_kib(self) -> int:
        """Resident memory of the server's process group, in KiB."""
        total = 0
        for pid in self.pids():
            try:
                text = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
            total += int(fields.get("VmRSS", "0 kB").split()[0])
        return total

    def describe(self) -> str:
        return " ".join("python" if part == PYTHON else part for part in self.command)


# --- reporting ----------------------------------------------------------------------------------


def percentile(sorted_values: list[float], share: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, round(share * len(sorted_values) + 0.5))
    return sorted_values[min(rank, len(sorted_values)) - 1]


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
        "loadavg": Path("/proc/loadavg").read_text().strip(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgres": run("psql", "--version") or "?",
        "wrk": (run("wrk", "--version") or run("wrk", "-v")).splitlines()[0:1],
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


def database_argument(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument(
        "--database", default=default,
        help=f"benchmark database, a parallax_bench_* name (default {default}); give each"
        " concurrent run its own",
    )  # fmt: skip
    parser.add_argument("--fresh-db", action="store_true", help="drop and recreate it first")


class Split:
    """Production's split on one machine: pages, fragments, writes and the API on the WSGI
    server, the live stream on the ASGI server, each a Server on its own port (a load balancer
    routes them by path in production: docs/deployment.md). ``workers`` processes each."""

    kind = "split"

    def __init__(self, env: dict[str, str], *, wsgi: str = WSGI, asgi: str = ASGI, workers: int = 1):
        self.pages = Server(env, kind=wsgi, command=_with_workers(SERVERS[wsgi]("{port}"), workers))
        self.live = Server(env, kind=asgi, command=_with_workers(SERVERS[asgi]("{port}"), workers))

    @property
    def port(self) -> int:
        return self.pages.port

    @property
    def url(self) -> str:
        return self.pages.url

    def __enter__(self) -> Split:
        self.pages.__enter__()
        try:
            self.live.__enter__()
        except BaseException:
            self.pages.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.live.__exit__(*exc)
        self.pages.__exit__(*exc)

    def cpu_seconds(self) -> float:
        return self.pages.cpu_seconds() + self.live.cpu_seconds()

    def rss_kib(self) -> int:
        return self.pages.rss_kib() + self.live.rss_kib()

    def log_tail(self, lines: int = 40) -> str:
        return f"{self.pages.kind}:\n{self.pages.log_tail(lines)}\n{self.live.kind}:\n{self.live.log_tail(lines)}"

    def describe(self) -> str:
        return f"pages: {self.pages.describe()}; live stream: {self.live.describe()}"


class OneServer:
    """A single Server (e.g. ``make run``'s) seen through Split's interface."""

    def __init__(self, server: Server):
        self.pages = self.live = server
        self.kind = server.kind

    def __getattr__(self, name):
        return getattr(self.pages, name)

    def __enter__(self) -> OneServer:
        self.pages.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.pages.__exit__(*exc)


def _with_workers(command: list[str], workers: int) -> list[str]:
    command = list(command)
    for flag in ("-w", "--workers"):
        if flag in command:
            command[command.index(flag) + 1] = str(workers)
    return command
