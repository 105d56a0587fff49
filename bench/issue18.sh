#!/usr/bin/env bash
# Issue 18's targets, each against its baseline, in one run (docs/benchmarks.md, "Issue 18 —
# one run"). Usage: bench/issue18.sh [PREFIX]   (databases parallax_bench_<PREFIX>_*; default i18)
# Takes 40-60 min on 2 shared cores. Each script writes its JSON to bench/results/.
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
prefix="${1:-i18}"
py=.venv/bin/python
echo "== $(date -u +%FT%TZ) git $(git rev-parse --short HEAD) load $(cut -d' ' -f1-3 /proc/loadavg)"
# Items 1 (servers), 4 (search), 5 (matrix), live delivery, and the claims set-up of item 3.
$py bench/run_all.py --only server --only search --only curation --only live --only claims \
  --database-prefix "$prefix"
# Item 2: marks, bytes and time to interactive at 1,000 and 5,000 claims against the plain page.
$py bench/reader.py --claims 1000 5000 --rounds 3 --duration 4 --database "parallax_bench_${prefix}_reader"
$py bench/reader_browser.py --only-claims --marks server --rounds 9 --database "parallax_bench_${prefix}_browser"
# Item 3: the reader right after one new claim against the plain page, in-process (the claims
# benchmark above built bench-annotated: 1,000 claims, 1,000 links).
$py bench/inprocess.py --database "parallax_bench_${prefix}_claims" --page /stories/deepseek-r1/ \
  --after-write /stories/bench-annotated/ --runs 30
echo "== done $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)"
