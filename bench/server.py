"""Server set-ups (issue 18): what WSGI and ASGI servers cost each request, to choose the split.

    .venv/bin/python bench/server.py [--rounds 3 --concurrency 8 --write-concurrency 16
                                      --duration 4 --database parallax_bench_server]

Set-ups, one worker process each, all running at once on one benchmark database:
  * gthread        gunicorn's threaded worker, config.wsgi (8 threads)    - WSGI
  * granian-wsgi   granian's WSGI interface, config.wsgi (8 threads)      - WSGI
  * uvicorn        uvicorn, config.asgi (Django's ASGI handler)           - ASGI
  * granian-asgi   granian's ASGI interface, config.asgi                  - ASGI
  * make-run       config/serve.py: granian with config.dispatch, i.e. the live stream through
                   Django's ASGI handler and everything else through its WSGI handler (a2wsgi
                   threads), in one process on one URL - what ``make run`` serves.
Load: wrk (bench/wrk.py). Per set-up and round: the demo reader's bytes from memory (the
baseline: pure per-request overhead), the demo reader page (8 connections), and claim writes by
16 logged-in clients (each its own user, as the Highlight button posts them). Rounds rotate the
order of the set-ups. Medians across rounds; every figure is also given relative to the WSGI
server that serves pages in production (common.WSGI). Writes bench/results/server.json.
"""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import claims as claims_bench  # noqa: E402  (story copy, users, sessions, write requests)
import common  # noqa: E402
import wrk  # noqa: E402

DATABASE = "parallax_bench_server"
PAGE = "/stories/deepseek-r1/"
SETUPS = ["gthread", "granian-wsgi", "uvicorn", "granian-asgi", "make-run"]
INTERFACE = {"gthread": "WSGI", "granian-wsgi": "WSGI", "uvicorn": "ASGI", "granian-asgi": "ASGI",
             "make-run": "ASGI → WSGI pages"}  # fmt: skip
WHAT = ["baseline", "reader", "writes"]
WRITER = "bench-server-writer-{:02d}"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    wrk.common_arguments(parser, concurrency=8, duration=4.0, database=DATABASE)
    parser.add_argument("--write-concurrency", type=int, default=16)
    parser.add_argument("--only", choices=SETUPS, action="append", help="set-ups to run (repeatable)")
    args = parser.parse_args(argv)
    setups = args.only or SETUPS
    phases: dict[tuple[str, str], list[wrk.Phase]] = {}
    commands = {}
    with common.django_site(database=args.database, fresh_db=args.fresh_db) as env, ExitStack() as stack:
        common.manage("load_demo", "--no-progress", "--empty", env=env, quiet=True)
        common.django_setup(env)
        from annotations.models import Claim
        from articles.models import Article

        if not Article.objects.filter(story__slug=claims_bench.WRITES).exists():
            claims_bench.story_copy(slug=claims_bench.WRITES, title="DeepSeek R1 (write benchmark)")
        articles = [(a.pk, a.body) for a in Article.objects.filter(story__slug=claims_bench.WRITES)
                    .order_by("position", "pk")]  # fmt: skip
        write_ids = [pk for pk, _ in articles]
        writers = claims_bench.sessions([WRITER.format(n) for n in range(args.write_concurrency)])
        writes = claims_bench.write_requests(writers, articles, kind="claim_create",
                                             duration=args.duration, warmup=args.warmup)  # fmt: skip
        stack.callback(writes.remove)
        env = {**env, "DB_POOL_MAX": str(max(20, args.write_concurrency + 4))}
        servers = {}
        for name in setups:
            servers[name] = stack.enter_context(common.Server(env, kind=name))
            commands[name] = servers[name].describe()
        baseline = wrk.baseline_of(PAGE)
        for server in servers.values():
            for path in (PAGE, baseline):  # warm templates and capture the baseline bytes
                status, _ = common.fetch(server.port, path)
                if status != 200:
                    raise SystemExit(f"{server.kind} {path}: HTTP {status}\n{server.log_tail()}")
        load = {"duration": args.duration, "warmup": args.warmup}
        for number in range(args.rounds):
            for name in setups[number % len(setups):] + setups[: number % len(setups)]:
                server = servers[name]
                for what in WHAT:
                    if what == "writes":
                        Claim.objects.filter(article_id__in=write_ids).delete()
                        phase = wrk.load(server, "POST /articles/<pk>/claims/", requests=writes,
                                         concurrency=args.write_concurrency, **load)  # fmt: skip
                    else:
                        path = baseline if what == "baseline" else PAGE
                        phase = wrk.load(server, path, concurrency=args.concurrency, **load)
                    phases.setdefault((name, what), []).append(phase)
                    common.log(
                        f"round {number + 1} {name:13} {what:8}: {phase.rps:7.1f} req/s"
                        f"  p50 {phase.p50_ms:7.1f} ms  p95 {phase.p95_ms:7.1f} ms"
                        f"  (server cpu {phase.server_cpu}, errors {phase.errors})"
                    )
        Claim.objects.filter(article_id__in=write_ids).delete()
    summary: dict[str, dict] = {}
    for name in setups:
        summary[name] = {what: wrk.summarize(phases[(name, what)]) for what in WHAT}
    reference = common.WSGI if common.WSGI in summary else setups[0]
    for name in setups:
        for what in WHAT:
            ref = summary[reference][what]["rps"]
            summary[name][what]["rps_vs_production_wsgi"] = round(summary[name][what]["rps"] / ref, 2)
    best = {
        kind: {what: max((summary[n][what]["rps"] for n in setups if INTERFACE[n] == kind), default=None)
               for what in WHAT}
        for kind in ("WSGI", "ASGI")
    }  # fmt: skip
    data = {
        "settings": vars(args),
        "page": PAGE,
        "reference": reference,
        "commands": commands,
        "summary": summary,
        "best_asgi_over_best_wsgi": {
            what: round(best["ASGI"][what] / best["WSGI"][what], 2)
            for what in WHAT if best["ASGI"][what] and best["WSGI"][what]
        },
        "phases": {f"{n} {w}": [asdict(p) for p in ps] for (n, w), ps in phases.items()},
    }
    common.save("server", data)
    print(f"\nServer set-ups (one worker each), {args.rounds} rotated rounds of {args.duration:g} s,"
          f" medians; ratios against {reference}:\n")
    print(table(data))
    return data


def table(data: dict) -> str:
    reference = data["reference"]
    s = data["settings"]
    lines = [
        "| Server (1 worker) | Interface | Baseline req/s | p50 / p95 ms"
        f" | Demo reader req/s ({s['concurrency']} conn.) | p50 / p95 ms"
        f" | Claim writes/s ({s['write_concurrency']} users) | p50 / p95 ms |",
        "|---|---|--:|--:|--:|--:|--:|--:|",
    ]
    for name, row in data["summary"].items():
        cells = []
        for what in WHAT:
            m = row[what]
            ratio = "" if name == reference else f" ({m['rps_vs_production_wsgi']:.2f}×)"
            errors = f", {m['errors']} errors" if m["errors"] else ""
            cells.append(f"{m['rps']:.1f}{ratio}{errors} | {m['p50_ms']:.1f} / {m['p95_ms']:.1f}")
        lines.append(f"| {name} | {INTERFACE[name]} | " + " | ".join(cells) + " |")
    ratio = data["best_asgi_over_best_wsgi"]
    if ratio:
        lines += [
            "",
            "Best ASGI set-up / best WSGI set-up (throughput): "
            + ", ".join(f"{what} {value:.2f}×" for what, value in ratio.items())
            + " (an all-ASGI stack would need ≥ 0.83×, i.e. within 1.2×).",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
