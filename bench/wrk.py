"""Load through wrk (Debian's ``wrk``): phases, interleaved comparisons with a baseline, tables.

Why wrk: it is a maintained, event-driven C load generator that keeps thousands of requests per
second going on one core, so on a shared 2-core machine the client takes little of the CPU the
server needs (a Python client such as locust spends several times more per request; oha is not
packaged for Debian 12 or PyPI). Its Lua hooks cover what the benchmarks need: per-connection
sessions and CSRF tokens for writes (bench/wrk/replay.lua), a request built from the previous
answer (bench/live.py's claim -> link, bench/wrk/live.lua) and a JSON summary with percentiles
(bench/wrk/report.lua). Closed loop, as before: each connection sends its next request when the
last one is answered.

The method is the one the benchmarks always used: each page is measured against the same bytes
served from memory by the same server (``/bench/static-bytes/?of=<page>``, config/bench_urls.py),
in interleaved rounds (A B, B A, ...), and reported as medians across rounds and ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from pathlib import Path

import common

LUA = Path(__file__).resolve().parent / "wrk"
WRK = "wrk"


def ensure() -> str:
    """The wrk binary, or a clear message on how to get it (``make bench`` installs it as root)."""
    found = shutil.which(WRK)
    if not found:
        raise SystemExit("The benchmarks drive load with wrk: apt-get install wrk (make bench does it as root)")
    return found


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
    server_cpu: float  # cores used by the server's processes during the phase (1.0 = one core)
    client_cpu: float  # cores used by wrk
    error_detail: dict = field(default_factory=dict)


def script(*parts: str) -> str:
    """A temporary Lua file: bench/wrk/report.lua followed by ``parts`` (names in bench/wrk/)."""
    text = "\n".join((LUA / name).read_text() for name in ("report.lua", *parts))
    handle = tempfile.NamedTemporaryFile("w", prefix="parallax-wrk-", suffix=".lua", delete=False)
    handle.write(text)
    handle.close()
    return handle.name


def _wrk(url: str, *, connections: int, threads: int, seconds: float, lua: str, args: list[str],
         headers: dict[str, str]) -> tuple[dict, float]:  # fmt: skip
    command = [
        ensure(), "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
        "--timeout", "120s", "-s", lua,
    ]  # fmt: skip
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command += [url, "--", *args]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    line = next((l for l in done.stdout.splitlines() if l.startswith("PARALLAX_WRK ")), None)
    if done.returncode or line is None:
        raise SystemExit(f"wrk failed ({done.returncode}): {' '.join(command)}\n{done.stdout}\n{done.stderr}")
    return json.loads(line.split(" ", 1)[1]), cpu


def load(
    server: common.Server,
    path: str,
    *,
    concurrency: int,
    duration: float,
    warmup: float,
    requests: Requests | None = None,
    lua: str | None = None,
    lua_args: list[str] | None = None,
    headers: dict[str, str] | None = None,
    label: str | None = None,
    min_requests: int = 10,
) -> Phase:
    """``concurrency`` connections for ``warmup`` (discarded) then ``duration`` seconds.

    A plain GET of ``path`` by default; with ``requests`` (see ``requests_write``), each
    connection replays its own list of requests instead, ``path`` only labelling the phase;
    ``lua`` names another script in bench/wrk/ (after replay.lua if ``requests`` are given; its
    arguments in ``lua_args``).
    """
    warm_args = measure_args = list(lua_args or [])
    if requests:
        if requests.connections != concurrency:
            raise ValueError(f"{requests.connections} request lists for {concurrency} connections")
        lua_file, threads = script("replay.lua", *([lua] if lua else [])), concurrency
        warm_args = [requests.folder, "1", str(requests.warmup), *warm_args]
        measure_args = [requests.folder, str(requests.warmup + 1), str(requests.total), *measure_args]
        url = server.url + "/"
    else:
        lua_file, threads = script(*([lua] if lua else [])), min(concurrency, 2)
        url = server.url + path
    headers = {"Accept": "text/html", **(headers or {})}
    try:
        if warmup > 0:
            _wrk(url, connections=concurrency, threads=threads, seconds=warmup, lua=lua_file,
                 args=warm_args, headers=headers)  # fmt: skip
        # A slow page may answer only a few requests in ``duration``: measure again, longer
        # (3x, then 9x), until it answered ``min_requests``, so its percentiles mean something.
        for stretch in (1, 3, 9):
            cpu_before, wall_before = server.cpu_seconds(), time.perf_counter()
            summary, client_cpu = _wrk(url, connections=concurrency, threads=threads,
                                       seconds=duration * stretch, lua=lua_file, args=measure_args,
                                       headers=headers)  # fmt: skip
            wall = time.perf_counter() - wall_before
            server_cpu = (server.cpu_seconds() - cpu_before) / wall
            if summary["requests"] - summary["errors"]["status"] >= min_requests or requests:
                break
            common.log(f"{label or path}: {summary['requests']} requests in {duration * stretch:g} s,"
                       " measuring longer")  # fmt: skip
    finally:
        os.unlink(lua_file)
    seconds = summary["duration_us"] / 1e6
    errors = sum(summary["errors"].values())
    good = summary["requests"] - summary["errors"]["status"]
    if good <= 0:
        raise SystemExit(f"{label or path}: no successful requests ({summary['errors']})\n{server.log_tail()}")
    if errors:
        common.log(f"{label or path}: {errors} errors {summary['errors']}")
    lat = summary["latency_us"]
    return Phase(
        path=label or path,
        concurrency=concurrency,
        seconds=round(seconds, 3),
        requests=good,
        errors=errors,
        rps=good / seconds,
        p50_ms=lat["p50"] / 1000,
        p95_ms=lat["p95"] / 1000,
        p99_ms=lat["p99"] / 1000,
        mean_ms=lat["mean"] / 1000,
        response_bytes=round(summary["bytes"] / max(1, summary["requests"])),
        server_cpu=round(server_cpu, 2),
        client_cpu=round(client_cpu / wall, 2),
        error_detail={k: v for k, v in summary["errors"].items() if v},
    )


@dataclass
class Requests:
    """Request lists written for bench/wrk/replay.lua: one file per connection, the first
    ``warmup`` requests of each for the warm-up run and the rest for the measured run."""

    folder: str
    connections: int
    warmup: int
    total: int

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def requests_write(per_connection: list[tuple[dict[str, str], list[tuple]]], *, warmup: int) -> Requests:
    """Write one request list per connection for bench/wrk/replay.lua (and live.lua).

    ``per_connection[i]`` is (headers, [(method, path, form fields or encoded body, *extra), ...]);
    extra columns are passed through (live.lua's article index). Every list must be equally long.
    """
    folder = tempfile.mkdtemp(prefix="parallax-wrk-requests-")
    lengths = {len(items) for _, items in per_connection}
    if len(lengths) != 1 or min(lengths) <= warmup:
        raise ValueError(f"request lists of lengths {lengths} for a warm-up of {warmup}")
    for index, (headers, items) in enumerate(per_connection):
        lines = ["\t".join(f"{k}: {v}" for k, v in headers.items())]
        for method, path, body, *extra in items:
            encoded = body if isinstance(body, str) else urllib.parse.urlencode(body)
            lines.append("\t".join([method, path, encoded, *map(str, extra)]))
        Path(folder, f"{index}.tsv").write_text("\n".join(lines) + "\n")
    return Requests(folder=folder, connections=len(per_connection), warmup=warmup, total=lengths.pop())


def session_headers(session: dict, *, referer: str, htmx: bool = True) -> dict[str, str]:
    """A logged-in browser's headers for a POST: cookies, the CSRF header, htmx's headers."""
    headers = {
        "Cookie": f"sessionid={session['session']}; csrftoken={session['csrf']}",
        "X-CSRFToken": session["csrf"],
        "Content-Type": "application/x-www-form-urlencoded",
        "Referer": referer,
    }
    if htmx:
        headers.update({"HX-Request": "true", "HX-Target": "reader", "HX-Current-URL": referer})
    return headers


# --- comparisons ------------------------------------------------------------------------------


@dataclass
class Comparison:
    """A page against its baseline: interleaved rounds, medians across rounds, and ratios."""

    name: str
    page: str
    baseline: str
    concurrency: int
    server: str = ""
    rounds: list[dict] = field(default_factory=list)
    summary: dict = field(default_factory=dict)


def baseline_of(page: str) -> str:
    return common.BASELINE + urllib.parse.quote(page, safe="/")


def summarize(phases: list[Phase]) -> dict:
    summary = {
        attr: round(statistics.median(getattr(p, attr) for p in phases), 2)
        for attr in ("rps", "p50_ms", "p95_ms", "p99_ms", "mean_ms", "server_cpu", "client_cpu")
    }
    summary["response_bytes"] = phases[0].response_bytes
    summary["requests"] = sum(p.requests for p in phases)
    summary["errors"] = sum(p.errors for p in phases)
    return summary


def ratios(page: dict, baseline: dict) -> dict:
    return {
        "rps": round(page["rps"] / baseline["rps"], 3),
        "p50": round(page["p50_ms"] / baseline["p50_ms"], 2),
        "p95": round(page["p95_ms"] / baseline["p95_ms"], 2),
        "p99": round(page["p99_ms"] / baseline["p99_ms"], 2),
    }


def compare(
    server: common.Server,
    *,
    name: str,
    page: str,
    rounds: int,
    concurrency: int,
    duration: float,
    warmup: float,
) -> Comparison:
    """Measure ``page`` and its in-memory baseline alternately (A B, B A, A B, ...)."""
    baseline = baseline_of(page)
    status, real = common.fetch(server.port, page)
    if status != 200:
        raise SystemExit(f"{page}: HTTP {status}\n{server.log_tail()}")
    status, copy = common.fetch(server.port, baseline)  # captures the page's bytes in the server
    if status != 200:
        raise SystemExit(f"{baseline}: HTTP {status}\n{server.log_tail()}")
    if abs(len(real) - len(copy)) > 64:  # per-response CSRF tokens aside, the bytes match
        raise SystemExit(f"{baseline} returned {len(copy)} bytes, {page} {len(real)}")
    result = Comparison(name=name, page=page, baseline=baseline, concurrency=concurrency,
                        server=server.kind)  # fmt: skip
    phases: dict[str, list[Phase]] = {"page": [], "baseline": []}
    for number in range(rounds):
        row = {}
        for kind in ["page", "baseline"] if number % 2 == 0 else ["baseline", "page"]:
            phase = load(server, page if kind == "page" else baseline, concurrency=concurrency,
                         duration=duration, warmup=warmup)  # fmt: skip
            phases[kind].append(phase)
            row[kind] = asdict(phase)
            common.log(
                f"{name} round {number + 1} {kind:8}: {phase.rps:8.1f} req/s  p50 {phase.p50_ms:7.1f} ms"
                f"  p95 {phase.p95_ms:7.1f} ms  ({phase.requests} req, server cpu {phase.server_cpu},"
                f" wrk cpu {phase.client_cpu})"
            )
        result.rounds.append(row)
    summary = {kind: summarize(items) for kind, items in phases.items()}
    summary["page"]["response_bytes"] = len(real)
    summary["baseline"]["response_bytes"] = len(copy)
    summary["ratio"] = ratios(summary["page"], summary["baseline"])
    result.summary = summary
    return result


def interleaved(server: common.Server, pair: dict[str, dict], *, rounds: int, label: str, **load_args) -> dict:
    """Alternate the phases of ``pair`` (A B, B A, ...) and return each one's medians.

    ``pair[name]`` has the ``path``, optional ``load`` arguments and an optional ``before``
    callable run before each of its phases."""
    names = list(pair)
    phases: dict[str, list[Phase]] = {name: [] for name in names}
    for number in range(rounds):
        for name in names if number % 2 == 0 else names[::-1]:
            before = pair[name].get("before")
            if before:
                before()
            phase = load(server, pair[name]["path"], **{**load_args, **pair[name].get("load", {})})
            phases[name].append(phase)
            common.log(
                f"{label} round {number + 1} {name:12}: {phase.rps:7.1f} req/s  p50 {phase.p50_ms:7.1f} ms"
                f"  p99 {phase.p99_ms:7.1f} ms  ({phase.requests} req, {phase.errors} errors,"
                f" server cpu {phase.server_cpu})"
            )
    return {name: {"summary": summarize(items), "phases": [asdict(p) for p in items]}
            for name, items in phases.items()}  # fmt: skip


def cpu_ms_per_request(summary: dict) -> float:
    """Server CPU per answered request: the cores it used over the requests it answered."""
    return 1000 * summary["server_cpu"] / summary["rps"] if summary["rps"] else float("nan")


def comparison_table(comparisons: list[dict], *, label: str = "Page") -> str:
    lines = [
        f"| {label} | Size | Page req/s | Baseline req/s | **Throughput ratio** | Page p50 / p95 / p99 ms"
        " | Baseline p50 / p95 / p99 ms | **p50 ratio** | **p95 ratio** | Server CPU ms / page (baseline) |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for c in comparisons:
        s, b, r = c["summary"]["page"], c["summary"]["baseline"], c["summary"]["ratio"]
        lines.append(
            f"| {c['name']} | {s['response_bytes'] / 1024:.0f} KiB | {s['rps']:.1f} | {b['rps']:.1f}"
            f" | **{r['rps']:.3f}** | {s['p50_ms']:.1f} / {s['p95_ms']:.1f} / {s['p99_ms']:.1f}"
            f" | {b['p50_ms']:.1f} / {b['p95_ms']:.1f} / {b['p99_ms']:.1f}"
            f" | **{r['p50']:.1f}×** | **{r['p95']:.1f}×**"
            f" | {cpu_ms_per_request(s):.1f} ({cpu_ms_per_request(b):.2f}) |"
        )
    return "\n".join(lines)


def common_arguments(parser: argparse.ArgumentParser, *, concurrency: int, duration: float,
                     database: str) -> None:  # fmt: skip
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--concurrency", type=int, default=concurrency)
    parser.add_argument("--duration", type=float, default=duration, help="measured seconds per phase")
    parser.add_argument("--warmup", type=float, default=1.0, help="discarded seconds per phase")
    parser.add_argument("--no-progress", action="store_true")
    common.database_argument(parser, database)
