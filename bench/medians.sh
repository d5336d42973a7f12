#!/usr/bin/env bash
# Medians over several bench/run.sh results (the mean of the two middle values for an even count): bench/medians.sh loadtest/results/bench-A loadtest/results/bench-B ...
# Prints each metric of metrics.tsv with the median of the runs' values (a metric repeated within one run, such as
# wrk's rounds, counts with the median of that run) and the values themselves.
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: bench/medians.sh RESULT_DIR..." >&2; exit 2; }
for dir in "$@"; do
  awk -F'\t' -v run="$dir" '
    { n[$1]++; v[$1, n[$1]] = $2; if (!($1 in seen)) { seen[$1] = 1; order[++k] = $1 } }
    END {
      for (i = 1; i <= k; i++) {
        key = order[i]; m = n[key]
        for (j = 1; j <= m; j++) a[j] = v[key, j]
        # insertion sort: a handful of values
        for (j = 2; j <= m; j++) { x = a[j]; for (l = j - 1; l >= 1 && a[l] + 0 > x + 0; l--) a[l + 1] = a[l]; a[l + 1] = x }
        printf "%s\t%s\t%s\n", key, m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2, run
      }
    }' "$dir/metrics.tsv"
done | awk -F'\t' '
  { n[$1]++; v[$1, n[$1]] = $2; if (!($1 in seen)) { seen[$1] = 1; order[++k] = $1 } }
  END {
    for (i = 1; i <= k; i++) {
      key = order[i]; m = n[key]; list = ""
      for (j = 1; j <= m; j++) { a[j] = v[key, j]; list = list (j > 1 ? " " : "") v[key, j] }
      for (j = 2; j <= m; j++) { x = a[j]; for (l = j - 1; l >= 1 && a[l] + 0 > x + 0; l--) a[l + 1] = a[l]; a[l + 1] = x }
      printf "%-48s %12s   (%s)\n", key, m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2, list
    }
  }'
