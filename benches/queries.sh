#!/usr/bin/env bash
# Query benchmark: a generated lake of 52 weekly scans of a 100-account organisation
# (5,000 findings per account per week, ~26 M findings), the named queries run by the
# release `lake` beside DuckDB running the same SQL files (queries/*.sql) with the same
# views and partition scope on the same Parquet files, reading what lake reads (the manifest
# snapshot, the compacted copies, the stored cells, the failure index: see
# benches/queries_duckdb.py). lake's time is its whole process; DuckDB's is its work after
# the import, as it reports it. Warm page cache, alternating tools, median of N runs.
# SKIP_BUILD=1 LAKE_BIN=... uses another build of lake.
#
#   benches/queries.sh                      # 3 runs of each query
#   RUNS=5 QUERIES="diff posture" benches/queries.sh
#   BASELINE=/tmp/lake-old benches/queries.sh  # also an earlier `lake` build, alternated
#                                             # with the others (same lake, same arguments)
#   BASELINE_LAKE=bench-data/orglake-base ...   # the baseline on its own lake: a hard-linked
#                                             # copy (`cp -al`), so that each build keeps its
#                                             # own stored changes (their fingerprints differ)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/lake-target}"
RUNS="${RUNS:-3}"
QUERIES="${QUERIES:-diff lookback posture summary compliance trend landing-zones priorities owners}"
LAKE_DIR="${BENCH_LAKE:-$PWD/bench-data/orglake}"
VENV="${LAKE_VENV:-$HOME/.cache/lake-venv}"
PY="${PYTHON:-$VENV/bin/python}"
WEEK=2025-W52

[ "${SKIP_BUILD:-0}" = 1 ] || cargo build --release --quiet -p lake-cli -p lake-synth -p lake-benches
LAKE="${LAKE_BIN:-$CARGO_TARGET_DIR/release/lake}"
[ -d "$LAKE_DIR/scans" ] || "$CARGO_TARGET_DIR/release/make-bench-lake" --out "$LAKE_DIR"
# What a weekly ingest leaves: closed weeks compacted (the newest week is not). Set
# COMPACT=0 to measure a lake without copies (then remove $LAKE_DIR/_compact).
[ "${COMPACT:-1}" = 0 ] || "$LAKE" compact --lake "$LAKE_DIR" | tail -1
CHECK=$("$LAKE" query --lake "$LAKE_DIR" --format csv --sql \
  "SELECT check_id FROM findings WHERE dt = '2025-12-22' AND status_code = 'FAIL' GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1" | tail -1)

args_of() {
  case "$1" in
    diff|posture|summary|compliance|landing-zones|priorities|owners) echo "--week $WEEK" ;;
    lookback) echo "--check $CHECK --days 90 --as-of 2025-12-28" ;;
    trend) echo "--weeks 12" ;;
  esac
}

# Prints "seconds max_rss_kb": the process's wall time, or the seconds the command reports
# itself (a last line "<rows> rows <seconds> s", as queries_duckdb.py prints).
measure() {
  local out stdout own; out=$(mktemp); stdout=$(mktemp)
  /usr/bin/time -f '%e %M' -o "$out" "$@" >"$stdout" 2>/dev/null || echo "FAILED: $*" >&2
  own=$(tail -1 "$stdout" | sed -n 's/^[0-9]* rows \([0-9.]*\) s$/\1/p')
  if [ -n "$own" ]; then echo "$own $(awk '{print $2}' "$out")"; else cat "$out"; fi
  rm -f "$out" "$stdout"
}
warm() { find "$LAKE_DIR" -name '*.parquet' -exec cat {} + >/dev/null; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

files=$(find "$LAKE_DIR/findings" -name '*.parquet' | wc -l)
rows=$("$LAKE" query --lake "$LAKE_DIR" --format csv --sql "SELECT sum(findings) FROM scans" | tail -1)
echo "lake: $LAKE_DIR ($files findings files, $rows findings, $(du -sh "$LAKE_DIR" | cut -f1)); $(nproc) cores; runs=$RUNS"
BASELINE="${BASELINE:-}"
BASELINE_LAKE="${BASELINE_LAKE:-$LAKE_DIR}"
if [ -n "$BASELINE" ] && [ "$BASELINE_LAKE" != "$LAKE_DIR" ] && [ "${COMPACT:-1}" != 0 ]; then
  "$BASELINE" compact --lake "$BASELINE_LAKE" | tail -1
fi
if [ -n "$BASELINE" ]; then
  printf '| query | lake (s) | baseline lake (s) | lake / baseline | DuckDB %s (s) | lake / DuckDB | lake peak RSS | baseline peak RSS | DuckDB peak RSS |\n|---|---|---|---|---|---|---|---|---|\n' \
    "$("$PY" -c 'import duckdb; print(duckdb.__version__)')"
else
  printf '| query | lake (s) | DuckDB %s (s) | lake / DuckDB | lake peak RSS | DuckDB peak RSS |\n|---|---|---|---|---|---|\n' \
    "$("$PY" -c 'import duckdb; print(duckdb.__version__)')"
fi
for q in $QUERIES; do
  a=$(args_of "$q")
  lt=(); dtm=(); lm=(); dm=(); bt=(); bm=()
  for _ in $(seq "$RUNS"); do
    # Warm the page cache before every run: some hosts reclaim it from idle files.
    warm
    # shellcheck disable=SC2086
    read -r t m < <(measure "$LAKE" query "$q" $a --lake "$LAKE_DIR" --format json)
    lt+=("$t"); lm+=("$m")
    if [ -n "$BASELINE" ]; then
      warm
      # shellcheck disable=SC2086
      read -r t m < <(measure "$BASELINE" query "$q" $a --lake "$BASELINE_LAKE" --format json)
      bt+=("$t"); bm+=("$m")
    fi
    warm
    # shellcheck disable=SC2086
    read -r t m < <(measure "$PY" benches/queries_duckdb.py "$LAKE_DIR" "$q" $a --lake-bin "$LAKE")
    dtm+=("$t"); dm+=("$m")
  done
  l=$(printf '%s\n' "${lt[@]}" | median); d=$(printf '%s\n' "${dtm[@]}" | median)
  lmm=$(printf '%s\n' "${lm[@]}" | median); dmm=$(printf '%s\n' "${dm[@]}" | median)
  if [ -n "$BASELINE" ]; then
    b=$(printf '%s\n' "${bt[@]}" | median); bmm=$(printf '%s\n' "${bm[@]}" | median)
    printf '| `%s %s` | %.2f | %.2f | %.2f | %.2f | %.2f | %d MB | %d MB | %d MB |\n' "$q" "$a" "$l" "$b" \
      "$(echo "$l / $b" | bc -l)" "$d" "$(echo "$l / $d" | bc -l)" \
      $((${lmm%.*} / 1024)) $((${bmm%.*} / 1024)) $((${dmm%.*} / 1024))
  else
    printf '| `%s %s` | %.2f | %.2f | %.2f | %d MB | %d MB |\n' "$q" "$a" "$l" "$d" \
      "$(echo "$l / $d" | bc -l)" $((${lmm%.*} / 1024)) $((${dmm%.*} / 1024))
  fi
done
