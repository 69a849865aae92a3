#!/usr/bin/env bash
# Alternates several `lake` builds on the bench lake (bench-data/orglake, see queries.sh),
# median of RUNS (default 3) per query:  benches/alternate.sh /tmp/lake-old target/release/lake
# A build given as BIN@LAKE_DIR reads that lake instead (e.g. a hard-linked copy, `cp -al`,
# where an older build's stored changes, whose fingerprint differs, are kept apart).
set -u
LAKE_DIR="${BENCH_LAKE:-$(cd "$(dirname "$0")/.." && pwd)/bench-data/orglake}"
RUNS=${RUNS:-3}
BINS="$*"
bin_of() { echo "${1%%@*}"; }
lake_of() { case "$1" in *@*) echo "${1#*@}";; *) echo "$LAKE_DIR";; esac; }
CHECK=$($(bin_of "$1") query --lake "$LAKE_DIR" --format csv --sql "SELECT check_id FROM findings WHERE dt = '2025-12-22' AND status_code = 'FAIL' GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1" | tail -1)
args_of() { case "$1" in diff|posture|summary|compliance|landing-zones|priorities|owners) echo "--week 2025-W52";; lookback) echo "--check $CHECK --days 90 --as-of 2025-12-28";; trend) echo "--weeks 12";; esac; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
for q in ${QUERIES:-diff summary posture lookback}; do
  declare -A T M
  for b in $BINS; do T[$b]=""; M[$b]=""; done
  for r in $(seq $RUNS); do
    for b in $BINS; do
      out=$(mktemp)
      /usr/bin/time -f '%e %M' -o $out $(bin_of $b) query $q $(args_of $q) --lake $(lake_of $b) --format json > /dev/null 2>&1 || echo "FAILED $b $q"
      read t m < $out; rm $out
      T[$b]+="$t "; M[$b]+="$m "
    done
  done
  line="$q $(args_of $q):"
  for b in $BINS; do
    t=$(echo ${T[$b]} | tr ' ' '\n' | median); m=$(echo ${M[$b]} | tr ' ' '\n' | median)
    line+=" | $(basename $(bin_of $b)) ${t}s ($(echo ${T[$b]})) $((${m%.*}/1024))MB"
  done
  echo "$line"
  unset T M
done
