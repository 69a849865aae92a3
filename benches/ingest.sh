#!/usr/bin/env bash
# Ingest benchmark: generates Prowler-5-shaped OCSF inputs with the seeded generator, then
# measures lake beside its peers in the same run, tools alternating within each round,
# median of N runs (min and max shown: these machines are noisy), warm page cache.
#
#   benches/ingest.sh                 # all cases, both codecs, 5 runs each
#   RUNS=5 CASES="week" CODECS="snappy" benches/ingest.sh
#
# Cases: file100 (one 100 MB account file), file1000 (one 1 GB file), week (15 accounts,
# ~635 MB, largest ~131 MB, in the scanning task's S3 layout).
# Peers (benches/baselines.py; the script installs benches/requirements.txt into the venv):
# chDB, DuckDB and Polars writing a narrow (9) and a wide (17) column projection with the
# run's codec, each reading the input through one glob where it can; the Python approach
# lake replaces (json.load + keep FAIL + normalize) and streaming Python (ijson).
# `lake_1core` is lake pinned to one core (taskset), for the scaling ratio.
# Timing: lake's is its whole process (it starts in milliseconds); a peer's is its job alone
# as it reports it (interpreter start, import and the output's row count left out). Peak
# RSS is the whole process's for every tool. Every run writes the run's codec: lake with
# `--compression`, the peers with their own setting.
# SKIP_BUILD=1 uses the binaries as they are; LAKE_BIN / SYNTH_BIN name other builds;
# BASELINE_BIN adds `lake_baseline`, another build of lake run in the same rounds (A/B).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/lake-target}"
RUNS="${RUNS:-5}"
CASES="${CASES:-file100 file1000 week}"
CODECS="${CODECS:-snappy zstd}"
DATA="${BENCH_DATA:-$PWD/bench-data}"
VENV="${LAKE_VENV:-$HOME/.cache/lake-venv}"
PY="${PYTHON:-$VENV/bin/python}"
if [ -z "${PYTHON:-}" ]; then
  [ -x "$PY" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r benches/requirements.txt
fi
TOOLS="${TOOLS:-lake ${BASELINE_BIN:+lake_baseline} lake_1core chdb_narrow chdb_wide duckdb_narrow duckdb_wide polars_narrow polars_wide python_json_load python_ijson}"

[ "${SKIP_BUILD:-0}" = 1 ] || cargo build --release --quiet -p lake-cli -p lake-synth -p lake-benches
LAKE="${LAKE_BIN:-$CARGO_TARGET_DIR/release/lake}"
SYNTH="${SYNTH_BIN:-$CARGO_TARGET_DIR/release/lake-synth}"
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

# Runs a command under /usr/bin/time; prints "seconds max_rss_kb": the process's wall time,
# or the job's own seconds when the command reports them (`"job_s": ...` on stdout).
measure() {
  local out stdout job; out=$(mktemp); stdout=$(mktemp)
  /usr/bin/time -f '%e %M' -o "$out" "$@" >"$stdout" 2>/dev/null || { echo "FAILED: $*" >&2; }
  job=$(grep -o '"job_s": [0-9.]*' "$stdout" | awk '{print $2}' || true)
  if [ -n "$job" ]; then echo "$job $(awk '{print $2}' "$out")"; else cat "$out"; fi
  rm -f "$out" "$stdout"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

available() {
  case "$1" in
    chdb_*) "$PY" -c 'import chdb' 2>/dev/null ;;
    polars_*) "$PY" -c 'import polars' 2>/dev/null ;;
    duckdb_*) "$PY" -c 'import duckdb' 2>/dev/null ;;
    python_ijson) "$PY" -c 'import ijson' 2>/dev/null ;;
    *) true ;;
  esac
}

echo "$(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); runs=$RUNS; $(date -u +%F)"
echo "| case | codec | tool | MB | median s (min-max) | MB/s | peak RSS MB | lake / tool time | tool / lake RSS |"
echo "|---|---|---|---:|---:|---:|---:|---:|---:|"
for case in $CASES; do
  input=$(input_of "$case")
  mapfile -t files < <(files_of "$input")
  mb=$(du -cb "${files[@]}" | tail -1 | awk '{printf "%.0f", $1/1e6}')
  tools=()
  for tool in $TOOLS; do
    if available "$tool"; then tools+=("$tool"); else echo "skipping $tool: not installed for $PY" >&2; fi
  done
  for codec in $CODECS; do
    declare -A T=() R=()
    for ((i = 0; i < RUNS; i++)); do
      for tool in "${tools[@]}"; do
        out=$(mktemp -d)
        # Warm the page cache before every run: some hosts reclaim it from idle files.
        cat "${files[@]}" > /dev/null
        case "$tool" in
          lake) m=$(measure "$LAKE" ingest "$input" --lake "$out/lake" --force --compression "$codec") ;;
          lake_baseline) m=$(measure "$BASELINE_BIN" ingest "$input" --lake "$out/lake" --force --compression "$codec") ;;
          lake_1core) m=$(measure taskset -c 0 "$LAKE" ingest "$input" --lake "$out/lake" --force --compression "$codec") ;;
          chdb_*|duckdb_*|polars_*) m=$(measure "$PY" benches/baselines.py "${tool%_*}" "${tool#*_}" "$codec" "$out/out.parquet" "$input") ;;
          python_json_load) { [ "$case" = file1000 ] || [ "$codec" != snappy ]; } && { rm -rf "$out"; continue; }  # ~5 GB of Python objects; writes no Parquet
                            m=$(measure "$PY" benches/baselines.py python-json-load "$input") ;;
          python_ijson) [ "$codec" != snappy ] && { rm -rf "$out"; continue; }
                        m=$(measure "$PY" benches/baselines.py python-ijson "$input") ;;
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
      lo=$(tr ' ' '\n' <<<"${T[$tool]}" | grep . | sort -g | head -1)
      hi=$(tr ' ' '\n' <<<"${T[$tool]}" | grep . | sort -g | tail -1)
      r=$(tr ' ' '\n' <<<"${R[$tool]}" | grep . | sort -g | tail -1)
      ratio=-; mem=-
      if [ -n "$lt" ] && [ "$tool" != lake ]; then
        ratio=$(printf '%.2f' "$(echo "$lt / $t" | bc -l)")
        mem=$(printf '%.2f' "$(echo "$r / $lr" | bc -l)")
      fi
      printf '| %s | %s | %s | %s | %.2f (%.2f-%.2f) | %.0f | %.0f | %s | %s |\n' "$case" "$codec" "$tool" "$mb" \
        "$t" "$lo" "$hi" "$(echo "$mb / $t" | bc -l)" "$(echo "$r / 1024" | bc -l)" "$ratio" "$mem"
    done
    unset T R
  done
done
