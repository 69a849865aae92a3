#!/usr/bin/env bash
# Load: an organisation of N accounts (default 100 250 500) in one week, ingested as one run
# (`lake ingest <week dir>`) and fanned out (one `lake ingest <file>` per account file, as
# the Lambda's fan-out does), into a fresh local lake each. Reports wall time, time per
# account and peak RSS for both, and checks that the lake holds every account afterwards
# (manifest rows, the week's posture). Each account file is ~MB_PER_ACCOUNT MB.
#
#   benches/load.sh                  # 100 250 500 accounts
#   SIZES="500" MB_PER_ACCOUNT=1 benches/load.sh
#   STORE=s3 SIZES="100 250" benches/load.sh   # the lakes on S3: moto on loopback (the venv's)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/lake-target}"
PROFILE="${PROFILE:-quick}"
SIZES="${SIZES:-100 250 500}"
MB_PER_ACCOUNT="${MB_PER_ACCOUNT:-0.5}"
[ "${SKIP_BUILD:-0}" = 1 ] || cargo build --profile "$PROFILE" --quiet -p lake-cli -p lake-synth
LAKE="$CARGO_TARGET_DIR/$PROFILE/lake"
SYNTH="$CARGO_TARGET_DIR/$PROFILE/lake-synth"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
STORE="${STORE:-local}"
# Where the lakes go: a local directory, or a bucket of a moto server on loopback (every
# request a real HTTP round trip; moto keeps the objects in memory).
lake_of() { if [ "$STORE" = s3 ]; then echo "s3://load/$1"; else echo "$work/$1"; fi; }
if [ "$STORE" = s3 ]; then
  VENV="${LAKE_VENV:-$HOME/.cache/lake-venv}"
  port=$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$VENV/bin/moto_server" -p "$port" >"$work/moto.log" 2>&1 &
  moto=$!
  trap 'kill $moto 2>/dev/null; rm -rf "$work"' EXIT
  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 \
    AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ALLOW_HTTP=true
  for _ in $(seq 50); do curl -s -o /dev/null "$AWS_ENDPOINT_URL" && break; sleep 0.2; done
  "$VENV/bin/python" -c "import boto3; boto3.client('s3', endpoint_url='$AWS_ENDPOINT_URL').create_bucket(Bucket='load')"
fi

measure() { /usr/bin/time -f '%e %M' -o "$work/t" "$@" >/dev/null 2>&1 || true; cat "$work/t"; }

printf '| accounts | source MB | one run: wall (s) | per account (ms) | peak RSS (MB) | fan-out: wall (s) | per account (ms) | max RSS of one (MB) | last 10%% per account (ms) | rows checked |\n|---|---|---|---|---|---|---|---|---|---|\n'
for n in $SIZES; do
  src="$work/src-$n"
  total=$(awk "BEGIN {print $n * $MB_PER_ACCOUNT}")
  "$SYNTH" week --out "$src" --accounts "$n" --total-mb "$total" --seed 11 >/dev/null
  mb=$(du -sm "$src" | cut -f1)
  week=$(ls "$src")

  read -r t1 m1 < <(measure "$LAKE" ingest "$src" --lake "$(lake_of one-$n)")

  files=$(find "$src" -name '*.ocsf.json' | sort)
  start=$(date +%s.%N); max=0; i=0; late_start=""
  late_from=$(( n - n / 10 ))
  for f in $files; do
    i=$((i + 1))
    [ "$i" -eq "$late_from" ] && late_start=$(date +%s.%N)
    read -r _ m < <(measure "$LAKE" ingest "$f" --lake "$(lake_of fan-$n)")
    [ "$m" -gt "$max" ] && max=$m
  done
  end=$(date +%s.%N)
  t2=$(awk "BEGIN {print $end - $start}")
  late=$(awk "BEGIN {printf \"%.0f\", ($end - $late_start) * 1000 / ($n - $late_from + 1)}")

  # Both lakes hold every account, with the same rows.
  rows_one=$("$LAKE" query --lake "$(lake_of one-$n)" --format csv --sql "SELECT count(*), count(DISTINCT account_uid) FROM scans WHERE status = 'succeeded'" | tail -1)
  rows_fan=$("$LAKE" query --lake "$(lake_of fan-$n)" --format csv --sql "SELECT count(*), count(DISTINCT account_uid) FROM scans WHERE status = 'succeeded'" | tail -1)
  [ "$rows_one" = "$n,$n" ] && [ "$rows_fan" = "$n,$n" ] || { echo "rows: $rows_one / $rows_fan, want $n,$n" >&2; exit 1; }
  p1=$("$LAKE" query posture --week "$week" --lake "$(lake_of one-$n)" --format csv | sed -n 2p)
  p2=$("$LAKE" query posture --week "$week" --lake "$(lake_of fan-$n)" --format csv | sed -n 2p)
  [ "$p1" = "$p2" ] || { echo "posture differs: $p1 / $p2" >&2; exit 1; }

  printf '| %s | %s | %.2f | %.1f | %d | %.1f | %.0f | %d | %s | %s scans, posture equal |\n' \
    "$n" "$mb" "$t1" "$(awk "BEGIN {print $t1 * 1000 / $n}")" "$((m1 / 1024))" \
    "$t2" "$(awk "BEGIN {print $t2 * 1000 / $n}")" "$((max / 1024))" "$late" "$n"
  rm -rf "$src" "$work/one-$n" "$work/fan-$n"
done
