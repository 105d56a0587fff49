"""Run every benchmark and print one markdown report.

    .venv/bin/python bench/run_all.py                  # full run, about 15 minutes on 2 cores
    .venv/bin/python bench/run_all.py --quick          # smoke run: 1 round of 2 s per phase
    .venv/bin/python bench/run_all.py --fresh-db       # drop the benchmark databases first
    .venv/bin/python bench/run_all.py --only claims    # one benchmark (repeatable)
    .venv/bin/python bench/run_all.py --rounds 5 --duration 10   # longer, steadier run

Each benchmark runs in its own process and database (parallax_bench_<name>, or
parallax_bench_<prefix>_<name> with --database-prefix, so that two runs never collide; the dev
database is never touched) and writes bench/results/<name>.json; this script then writes
bench/results/summary.md and prints it. It also runs the other issues' scripts listed in OTHERS
(bench/curation.py, live.py, suggest.py, opendata.py) and appends what they print. Load is driven
by wrk (bench/wrk.py; ``make bench`` installs it). Longer runs of one script: see its docstring
(e.g. bench/reader.py --help).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
import wrk  # noqa: E402

BENCHMARKS = ["reader", "search", "server", "claims"]
#: Other issues' scripts (their own flags and tables; their figures are in their own sections of
#: docs/benchmarks.md): script -> (arguments for --quick, arguments otherwise).
OTHERS = {
    "curation": (["--rounds", "1", "--duration", "2", "--warmup", "0.5", "--anchor-runs", "2"], []),
    "live": (["--duration", "10", "--baseline-duration", "5", "--idle-streams", "50"], []),
    "suggest": (["--repeats", "1", "--sizes", "10", "20"], []),
    "opendata": (["--claims", "200", "--links", "200", "--repeats", "1"], []),
    "newsroom": (["--repeats", "1"], []),
}
#: Of those, the ones that use no database (so take no --fresh-db).
NO_DATABASE = {"suggest"}


def report(results: dict[str, dict], failed: list[str], others: dict[str, str] | None = None) -> str:
    some = next(iter(results.values()), None)
    lines = ["# Parallax benchmarks", ""]
    if some:
        m = some["machine"]
        memory = next((line for line in m["free_h"].splitlines() if line.startswith("Mem:")), "")
        lines += [
            f"Machine: {m['nproc']} cores ({m['cpu']}), {(memory.split() + ['?', '?'])[1]} RAM,"
            f" Python {m['python']}, {m['postgres']}; git {m['git']}{' (dirty)' if m['git_dirty'] else ''}.",
            "",
        ]
    if "reader" in results:
        r = results["reader"]
        s = r["settings"]
        lines += [
            "## Reader",
            "",
            f"`{r['command']}` — {s['concurrency']} connections, {s['rounds']} interleaved rounds of"
            f" {s['duration']:g} s per phase, medians across rounds. Ratio = page / baseline"
            " (baseline: the same bytes served from memory by the same server).",
            "",
            wrk.comparison_table(r["comparisons"], label="Reader page"),
            "",
        ]
    if "search" in results:
        r = results["search"]
        s = r["settings"]
        from search import explain_table

        check = r["index_check"]
        lines += [
            "## Search",
            "",
            f"`{r['command']}` — {r['articles_in_db']} articles, {s['concurrency']} connection(s),"
            f" {s['rounds']} interleaved rounds of {s['duration']:g} s, medians across rounds.",
            "",
            wrk.comparison_table(r["comparisons"], label="Query"),
            "",
            "EXPLAIN (ANALYZE, BUFFERS) of the selector's SQL (median of 5 executions):",
            "",
            explain_table(r),
            "",
            f"Index check ({check['rule']}): "
            + ("**failed for " + ", ".join(f"`{q}`" for q in check["failures"]) + "**"
               if check["failures"] else "passed"),  # fmt: skip
            "",
        ]
    if "server" in results:
        r = results["server"]
        s = r["settings"]
        from server import table

        lines += [
            "## Server overhead",
            "",
            f"`{r['command']}` — {s['concurrency']} connections, {s['rounds']} rotated rounds of"
            f" {s['duration']:g} s, medians; the baseline bytes and the demo reader page.",
            "",
            table(r),
            "",
        ]
    if "claims" in results:
        r = results["claims"]
        from claims import report as claims_report

        lines += [
            "## Claims and links",
            "",
            f"`{r['command']}`",
            "",
            claims_report(r),
            "",
        ]
    for name, printed in (others or {}).items():
        lines += [f"## {name} (bench/{name}.py)", "", printed.strip(), ""]
    if failed:
        lines += [f"Failed: {', '.join(failed)} (see the output above).", ""]
    return "\n".join(lines)


def database(prefix: str, name: str) -> str:
    return f"parallax_bench_{prefix}_{name}" if prefix else f"parallax_bench_{name}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 round of 2 s per phase")
    parser.add_argument("--fresh-db", action="store_true")
    parser.add_argument("--only", choices=[*BENCHMARKS, *OTHERS], action="append")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (each script's default: 3)")
    parser.add_argument("--duration", type=float, help="measured seconds per phase")
    parser.add_argument(
        "--database-prefix", default="",
        help="benchmark databases are named parallax_bench_<prefix>_<name> (default: no prefix)",
    )  # fmt: skip
    args = parser.parse_args()
    wrk.ensure()
    extra = ["--rounds", "1", "--duration", "2", "--warmup", "0.5"] if args.quick else []
    extra += ["--rounds", str(args.rounds)] if args.rounds else []
    extra += ["--duration", str(args.duration)] if args.duration else []
    extra += ["--fresh-db"] if args.fresh_db else []
    failed, results, others = [], {}, {}
    started = time.monotonic()
    for name in args.only or [*BENCHMARKS, *OTHERS]:
        script = Path(__file__).resolve().parent / f"{name}.py"
        common.log(f"=== {name} ===")
        if name in OTHERS:
            if not script.exists():
                continue
            quick, full = OTHERS[name]
            command = [sys.executable, str(script), *(quick if args.quick else full)]
            if name not in NO_DATABASE:
                command += ["--database", database(args.database_prefix, name)]
                command += ["--fresh-db"] if args.fresh_db else []
            done = subprocess.run(command, stdout=subprocess.PIPE, text=True)
            sys.stdout.write(done.stdout)
            others[name] = done.stdout
            if done.returncode:
                failed.append(f"{name} (exit {done.returncode})")
            continue
        before = time.time()
        own = ["--browser-runs", "3"] if args.quick and name == "claims" else []
        own += ["--database", database(args.database_prefix, name)]
        code = subprocess.call([sys.executable, str(script), "--no-progress", *extra, *own])
        path = common.RESULTS / f"{name}.json"
        if path.exists() and path.stat().st_mtime >= before:
            results[name] = json.loads(path.read_text())
        if code:
            failed.append(f"{name} (exit {code})")
    text = report(results, failed, others)
    common.RESULTS.mkdir(parents=True, exist_ok=True)
    (common.RESULTS / "summary.md").write_text(text)
    print("\n" + text)
    common.log(f"all benchmarks took {time.monotonic() - started:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
