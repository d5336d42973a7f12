#!/usr/bin/env bash
# Before and after, side by side: the seed's scenario (bench/run.sh, one VU count, no ceilings, no sell-out) run
# from two checkouts in turn, ROUNDS times, each run on a fresh stack; prints one line per run and the medians.
# The machine's speed drifts from minute to minute, so only interleaved runs compare; the order flips every round
# (before, after; after, before; ...), so that a drift over the runs does not favour the side that always runs second.
# Usage: bench/alternate.sh [--rounds N] [--vus N] [--out DIR] BEFORE_DIR AFTER_DIR [-- extra bench/run.sh options]
#   e.g. git worktree add --detach /tmp/before a109fb5 && bench/alternate.sh /tmp/before .
set -uo pipefail
rounds=3; vus=1000; out=/tmp/concert-ticket-alternate-$(date +%Y%m%d-%H%M%S)
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --vus) vus=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) break ;;
  esac
done
[ $# -ge 2 ] || { sed -n 2,6p "$0"; exit 2; }
before=$(cd "$1" && pwd); after=$(cd "$2" && pwd); shift 2
[ "${1:-}" = -- ] && shift
mkdir -p "$out"
key="scenario-${vus}vu"
line() {
  awk -F'\t' -v k="$key." 'index($1, k) == 1 { v[substr($1, length(k) + 1)] = $2 }
    END { c = v["cpu.service"] + v["cpu.postgres"] + v["cpu.redis"]
          printf "%s\t%s\t%.3f\t%s\n", v["rps"], v["orders_per_s"], 1000 * c / v["orders_per_s"], v["invariants.violated"] }' "$1/metrics.tsv"
}
for r in $(seq 1 "$rounds"); do
  sides="before after"; [ $((r % 2)) -eq 0 ] && sides="after before"
  for side in $sides; do
    dir=$([ $side = before ] && echo "$before" || echo "$after")
    (cd "$dir" && bench/run.sh --vus "$vus" --sellout-vus 0 --no-wrk --no-pgbench --out "$out/$side-$r" "$@" >"$out/$side-$r.log" 2>&1) \
      || { echo "bench/run.sh failed in $dir; see $out/$side-$r.log"; exit 1; }
    printf '%s\t%s\t%s\n' "$side" "$r" "$(line "$out/$side-$r")" | tee -a "$out/runs.tsv"
  done
done
median() { sort -g | awk '{ a[NR] = $1 } END { print NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
for side in before after; do
  rps=$(awk -v s=$side '$1 == s { print $3 }' "$out/runs.tsv" | median)
  cpu=$(awk -v s=$side '$1 == s { print $5 }' "$out/runs.tsv" | median)
  echo "$side: median req/s $rps, median CPU per order $cpu ms (service + PostgreSQL + Redis)"
done
echo "(runs: $out/runs.tsv; columns: side, round, req/s, orders/s, CPU ms per order, invariants violated)"
