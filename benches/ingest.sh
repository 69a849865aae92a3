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
# Baselines: Python json.load + normalize (the approach lake replaces) and DuckDB
# read_json -> Parquet (narrow projection), when the test venv has duckdb.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/lake-target}"
RUNS="${RUNS:-3}"
CASES="${CASES:-file100 file1000 week}"
DATA="${BENCH_DATA:-$PWD/bench-data}"
VENV="${LAKE_VENV:-$HOME/.cache/lake-venv}"
PY="${PYTHON:-$VENV/bin/python}"
[ -x "$PY" ] || PY=python3

cargo build --release --quiet -p lake-cli -p lake-synth
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

python_baseline() {
  cat <<'PY'
import json, sys
rows = []
for path in sys.argv[1:]:
    with open(path) as f:
        for x in json.load(f):
            if x.get("status_code") != "FAIL":
                continue
            r = x.get("resources") or [{}]
            rows.append({"uid": x["finding_info"]["uid"], "check": x["metadata"]["event_code"],
                         "severity": x.get("severity"), "account": x.get("cloud", {}).get("account", {}).get("uid"),
                         "region": x.get("cloud", {}).get("region"), "resource": r[0].get("uid"),
                         "title": x["finding_info"].get("title"), "time": x.get("time_dt")})
print(len(rows))
PY
}

duckdb_narrow() {
  cat <<'PY'
import duckdb, sys
files, out = sys.argv[1:-1], sys.argv[-1]
con = duckdb.connect()
con.execute("set threads = 2")
con.execute(f"""copy (select finding_info.uid as uid, metadata.event_code as check_id, severity, status_code,
    cloud.account.uid as account, cloud.region as region, resources[1].uid as resource,
    finding_info.title as title, time_dt
  from read_json({files!r}, format = 'array', maximum_object_size = 268435456))
  to '{out}' (format parquet, compression zstd)""")
PY
}

have_duckdb=0
"$PY" -c 'import duckdb' 2>/dev/null && have_duckdb=1

printf '%-9s %-22s %8s %9s %9s %10s\n' case tool MB median_s MB/s peak_RSS_MB
for case in $CASES; do
  input=$(input_of "$case")
  mapfile -t files < <(files_of "$input")
  mb=$(du -cb "${files[@]}" | tail -1 | awk '{printf "%.0f", $1/1e6}')
  cat "${files[@]}" > /dev/null  # warm the page cache
  declare -A T=() R=()
  tools=(lake python_json_load)
  [ "$have_duckdb" = 1 ] && tools+=(duckdb_narrow)
  for ((i = 0; i < RUNS; i++)); do
    for tool in "${tools[@]}"; do
      out=$(mktemp -d)
      case "$tool" in
        lake) m=$(measure "$LAKE" ingest "$input" --lake "$out/lake" --force) ;;
        python_json_load) [ "$case" = file1000 ] && continue
                          m=$(measure "$PY" -c "$(python_baseline)" "${files[@]}") ;;
        duckdb_narrow) m=$(measure "$PY" -c "$(duckdb_narrow)" "${files[@]}" "$out/out.parquet") ;;
      esac
      rm -rf "$out"
      T[$tool]+="${m% *} "; R[$tool]+="${m#* } "
    done
  done
  for tool in "${tools[@]}"; do
    [ -n "${T[$tool]:-}" ] || continue
    t=$(tr ' ' '\n' <<<"${T[$tool]}" | grep . | median)
    r=$(tr ' ' '\n' <<<"${R[$tool]}" | grep . | sort -g | tail -1)
    printf '%-9s %-22s %8s %9.2f %9.0f %10.0f\n' "$case" "$tool" "$mb" "$t" "$(echo "$mb / $t" | bc -l)" "$(echo "$r / 1024" | bc -l)"
  done
  unset T R
done
