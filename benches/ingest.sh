#!/usr/bin/env bash
# Ingest benchmark: generates Prowler-5-shaped OCSF inputs with the seeded generator, then
# measures lake's whole-process wall time and peak RSS beside baselines in the same run,
# alternating tools, median of N runs, warm page cache.
#
#   benches/ingest.sh                 # all cases, 3 runs each
#   RUNS=5 CASES="file100" benches/ingest.sh
#
# Cases: file100 (one 100 MB account file), file1000 (one 1 GB file), week (15 accounts,
# ~635 MB, largest ~131 MB, in the scanning task's S3 layout).
# Baselines (benches/baselines.py; the script installs benches/requirements.txt into the venv):
# chDB and DuckDB writing ZSTD Parquet of a narrow (9) and a wide (17) column projection,
# the Python approach lake replaces (json.load + keep FAIL + normalize) and streaming
# Python (ijson). `lake_1core` is lake pinned to one core (taskset), for the scaling ratio.
# SKIP_BUILD=1 uses the release binaries as they are.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/lake-target}"
RUNS="${RUNS:-3}"
CASES="${CASES:-file100 file1000 week}"
DATA="${BENCH_DATA:-$PWD/bench-data}"
VENV="${LAKE_VENV:-$HOME/.cache/lake-venv}"
PY="${PYTHON:-$VENV/bin/python}"
if [ -z "${PYTHON:-}" ]; then
  [ -x "$PY" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r benches/requirements.txt
fi
TOOLS="${TOOLS:-lake lake_1core chdb_narrow chdb_wide duckdb_narrow duckdb_wide python_json_load python_ijson}"

[ "${SKIP_BUILD:-0}" = 1 ] || cargo build --release --quiet -p lake-cli -p lake-synth -p lake-benches
LAKE="$CARGO_TARGET_DIR/release/lake"
SYNTH="$CARGO_TARGET_DIR/release/lake-synth"
mkdir -p "$DATA"

input_of() {
  case "$1" in
    file100) f="$DATA/file100/prowler-output-111122223333-20260518020000.ocsf.json"
             [ -f "$f" ] || { mkdir -p "$DATA/file100"; "$SYNTH" file --out "$f" --mb 100 --seed 1 >/dev/null; }
             echo "$f" ;;
    file1000) f="$DATA/file1000/prowler-output-111122223333-20260518020000.ocsf.json"
             [ -f "$f" ] || { mkdir -p "$DATA/file1000"; "$SYNTH" file --out "$f" --mb 1000 --seed 2 >/dev/null; }
             echo "$f" ;;
    week)    [ -d "$DATA/week/2026-W21" ] || "$SYNTH" week --out "$DATA/week" --accounts 15 --total-mb 635 --seed 42 >/dev/null
             echo "$DATA/week" ;;
  esac
}

files_of() { if [ -d "$1" ]; then find "$1" -name '*.ocsf.json' | sort; else echo "$1"; fi; }

# Runs a command under /usr/bin/time; prints "seconds max_rss_kb".
measure() {
  local out; out=$(mktemp)
  /usr/bin/time -f '%e %M' -o "$out" "$@" >/dev/null 2>&1 || { echo "FAILED: $*" >&2; }
  cat "$out"; rm -f "$out"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

available() {
  case "$1" in
    chdb_*) "$PY" -c 'import chdb' 2>/dev/null ;;
    duckdb_*) "$PY" -c 'import duckdb' 2>/dev/null ;;
    python_ijson) "$PY" -c 'import ijson' 2>/dev/null ;;
    *) true ;;
  esac
}

echo "$(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); runs=$RUNS; $(date -u +%F)"
echo "| case | tool | MB | median s | MB/s | peak RSS MB | lake speed-up | lake / its RSS |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
for case in $CASES; do
  input=$(input_of "$case")
  mapfile -t files < <(files_of "$input")
  mb=$(du -cb "${files[@]}" | tail -1 | awk '{printf "%.0f", $1/1e6}')
  declare -A T=() R=()
  tools=()
  for tool in $TOOLS; do
    if available "$tool"; then tools+=("$tool"); else echo "skipping $tool: not installed for $PY" >&2; fi
  done
  for ((i = 0; i < RUNS; i++)); do
    for tool in "${tools[@]}"; do
      out=$(mktemp -d)
      # Warm the page cache before every run: some hosts reclaim it from idle files.
      cat "${files[@]}" > /dev/null
      case "$tool" in
        lake) m=$(measure "$LAKE" ingest "$input" --lake "$out/lake" --force) ;;
        lake_1core) m=$(measure taskset -c 0 "$LAKE" ingest "$input" --lake "$out/lake" --force) ;;
        chdb_*|duckdb_*) m=$(measure "$PY" benches/baselines.py "${tool%_*}" "${tool#*_}" "$out/out.parquet" "${files[@]}") ;;
        python_json_load) [ "$case" = file1000 ] && { rm -rf "$out"; continue; }  # ~5 GB of Python objects
                          m=$(measure "$PY" benches/baselines.py python-json-load "${files[@]}") ;;
        python_ijson) m=$(measure "$PY" benches/baselines.py python-ijson "${files[@]}") ;;
      esac
      rm -rf "$out"
      T[$tool]+="${m% *} "; R[$tool]+="${m#* } "
    done
  done
  lt=$(tr ' ' '\n' <<<"${T[lake]:-}" | grep . | median || true)
  lr=$(tr ' ' '\n' <<<"${R[lake]:-}" | grep . | sort -g | tail -1 || true)
  for tool in "${tools[@]}"; do
    [ -n "${T[$tool]:-}" ] || continue
    t=$(tr ' ' '\n' <<<"${T[$tool]}" | grep . | median)
    r=$(tr ' ' '\n' <<<"${R[$tool]}" | grep . | sort -g | tail -1)
    speedup=-; mem=-
    if [ -n "$lt" ] && [ "$tool" != lake ]; then
      speedup=$(printf '%.2f' "$(echo "$t / $lt" | bc -l)")
      mem=$(printf '%.2f' "$(echo "$lr / $r" | bc -l)")
    fi
    printf '| %s | %s | %s | %.2f | %.0f | %.0f | %s | %s |\n' "$case" "$tool" "$mb" "$t" \
      "$(echo "$mb / $t" | bc -l)" "$(echo "$r / 1024" | bc -l)" "$speedup" "$mem"
  done
  unset T R
done
