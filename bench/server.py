"""Server overhead: the same requests through three server set-ups, to price the ASGI stack.

    .venv/bin/python bench/server.py [--rounds 3 --concurrency 8 --duration 4]

Set-ups, all one worker process:
  * uvicorn          — config.asgi under uvicorn, as deployed (the reference);
  * uvicorn+sync-mw  — the same plus a sync-only no-op middleware placed last
                       (config.bench_settings.SyncOnlyMiddleware), so Django runs the middleware
                       stack in one thread instead of hopping thread <-> event loop per hook;
  * gunicorn-wsgi    — config.wsgi under gunicorn's gthread worker (8 threads): no ASGI at all.
Requests: the in-memory baseline (pure per-request overhead) and the demo reader page.
All three servers run at once on the reader benchmark database; rounds rotate the order.
Writes bench/results/server.json.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import urllib.parse
from contextlib import ExitStack
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from reader import DATABASE  # noqa: E402

PAGE = "/stories/deepseek-r1/"
BASELINE = harness.BASELINE + urllib.parse.quote(PAGE, safe="/")
SETUPS = {
    "uvicorn": ("uvicorn", {}),
    "uvicorn+sync-mw": ("uvicorn", {"BENCH_SYNC_ONLY_MIDDLEWARE": "1"}),
    "gunicorn-wsgi": ("gunicorn-wsgi", {}),
}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    harness.common_arguments(parser, concurrency=8, duration=4.0)
    args = parser.parse_args(argv)
    phases: dict[tuple[str, str], list[harness.Phase]] = {}
    with harness.django_site(database=DATABASE, fresh_db=args.fresh_db) as env, ExitStack() as stack:
        harness.manage("load_demo", "--no-progress", env=env, quiet=True)
        servers = {
            name: stack.enter_context(harness.Server({**env, **extra}, kind=kind))
            for name, (kind, extra) in SETUPS.items()
        }
        for server in servers.values():
            for path in (PAGE, BASELINE):  # warm templates and capture the baseline bytes
                status, _, _ = harness.fetch(server.port, path)
                if status != 200:
                    raise SystemExit(f"{server.kind} {path}: HTTP {status}\n{server.log_tail()}")
        names = list(servers)
        for number in range(args.rounds):
            for name in names[number % len(names):] + names[: number % len(names)]:
                for what, path in (("baseline", BASELINE), ("page", PAGE)):
                    phase = harness.load(
                        servers[name], path, concurrency=args.concurrency,
                        duration=args.duration, warmup=args.warmup,
                    )  # fmt: skip
                    phases.setdefault((name, what), []).append(phase)
                    harness.log(
                        f"round {number + 1} {name:16} {what:8}: {phase.rps:7.1f} req/s"
                        f"  p50 {phase.p50_ms:7.1f} ms  p95 {phase.p95_ms:7.1f} ms"
                        f"  (server cpu {phase.server_cpu})"
                    )
    summary = {}
    for name in SETUPS:
        summary[name] = {}
        for what in ("baseline", "page"):
            items = phases[(name, what)]
            summary[name][what] = {
                attr: round(statistics.median(getattr(p, attr) for p in items), 2)
                for attr in ("rps", "p50_ms", "p95_ms", "server_cpu")
            }
    for name in SETUPS:
        for what in ("baseline", "page"):
            ref = summary["uvicorn"][what]["rps"]
            summary[name][what]["rps_vs_uvicorn"] = round(summary[name][what]["rps"] / ref, 2)
    data = {
        "settings": vars(args),
        "setups": {name: kind for name, (kind, _) in SETUPS.items()},
        "page": PAGE,
        "summary": summary,
        "phases": {f"{n} {w}": [asdict(p) for p in ps] for (n, w), ps in phases.items()},
    }
    harness.save("server", data)
    print(f"\nServer set-ups, {args.concurrency} connections, {args.rounds} rotated rounds of"
          f" {args.duration:g} s (medians):\n")
    print(table(data))
    return data


def table(data: dict) -> str:
    lines = [
        "| Server (1 worker) | Baseline req/s | vs uvicorn | Baseline p50 / p95 ms"
        " | Demo reader req/s | vs uvicorn | Reader p50 / p95 ms |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for name, row in data["summary"].items():
        b, p = row["baseline"], row["page"]
        lines.append(
            f"| {name} | {b['rps']:.1f} | {b['rps_vs_uvicorn']:.2f}× | {b['p50_ms']:.1f} / {b['p95_ms']:.1f}"
            f" | {p['rps']:.1f} | {p['rps_vs_uvicorn']:.2f}× | {p['p50_ms']:.0f} / {p['p95_ms']:.0f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
