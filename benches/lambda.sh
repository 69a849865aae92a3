#!/usr/bin/env bash
# Lambda benchmark: the handler (release build, `lake-lambda --event`, the same code the
# runtime loop calls) on a generated 15-account run of ~635 MB read from an S3 API server on
# loopback (moto), the lake written to the same server. Whole process under /usr/bin/time:
# wall time and peak RSS, median of N runs (each on a fresh lake), then the redelivered
# event (every file skipped).
#
#   benches/lambda.sh            # RUNS=3
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/lake-target}"
RUNS="${RUNS:-3}"
DATA="${BENCH_DATA:-$PWD/bench-data}"
VENV="${LAKE_VENV:-$HOME/.cache/lake-venv}"
PY="$VENV/bin/python"

cargo build --release --quiet -p lake-lambda -p lake-synth
BIN="$CARGO_TARGET_DIR/release/lake-lambda"
SYNTH="$CARGO_TARGET_DIR/release/lake-synth"
[ -d "$DATA/week/2026-W21" ] || "$SYNTH" week --out "$DATA/week" --accounts 15 --total-mb 635 --seed 42 >/dev/null

# As deploy/template.yaml runs the function (fewer glibc arenas, lower peak RSS).
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
PORT="${PORT:-$((20000 + RANDOM % 10000))}"
"$VENV/bin/moto_server" -H 127.0.0.1 -p "$PORT" >/dev/null 2>&1 &
MOTO=$!
trap 'kill $MOTO 2>/dev/null || true' EXIT
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_ENDPOINT_URL="http://127.0.0.1:$PORT" AWS_ALLOW_HTTP=true
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && break; sleep 0.2; done

# Upload the run in the scanning task's layout, then its marker; write the event.
WORK=$(mktemp -d)
"$PY" - "$DATA/week" "$WORK/event.json" <<'PY'
import json, os, sys, boto3
root, event = sys.argv[1], sys.argv[2]
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
s3.create_bucket(Bucket="scans")
total, marker_prefix = 0, None
for dirpath, _, files in os.walk(root):
    for f in files:
        if f.endswith(".ocsf.json"):
            path = os.path.join(dirpath, f)
            key = "prowler/" + os.path.relpath(path, root)
            s3.upload_file(path, "scans", key)
            total += os.path.getsize(path)
            marker_prefix = key.split("/")[0] + "/" + "/".join(key.split("/")[1:3]) + "/"
s3.put_object(Bucket="scans", Key=marker_prefix + "run.complete", Body=b"")
record = {"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
             "eventTime": "2026-05-18T06:00:00.000Z", "eventName": "ObjectCreated:Put",
             "userIdentity": {"principalId": "AWS:AROAEXAMPLE:prowler"},
             "requestParameters": {"sourceIPAddress": "10.0.0.1"},
             "responseElements": {"x-amz-request-id": "EXAMPLE", "x-amz-id-2": "EXAMPLE"},
             "s3": {"s3SchemaVersion": "1.0", "configurationId": "lake",
                    "bucket": {"name": "scans", "ownerIdentity": {"principalId": "EXAMPLE"},
                               "arn": "arn:aws:s3:::scans"},
                    "object": {"key": marker_prefix + "run.complete", "size": 1, "eTag": "0", "sequencer": "0"}}}
json.dump({"Records": [record]}, open(event, "w"))
print(f"uploaded {total / 1e6:.0f} MB under s3://scans/{marker_prefix}", file=sys.stderr)
PY

measure() {
  /usr/bin/time -f '%e %M' -o "$WORK/time" "$@" >"$WORK/out.json" 2>"$WORK/err" || { cat "$WORK/err" >&2; exit 1; }
  cat "$WORK/time"
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

times=(); rss=(); again_t=(); again_m=()
for i in $(seq "$RUNS"); do
  export LAKE_URL="s3://lake/run$i" LAKE_METRIC_NAMESPACE=Bench
  "$PY" -c "import boto3, os; boto3.client('s3', endpoint_url=os.environ['AWS_ENDPOINT_URL']).create_bucket(Bucket='lake')" 2>/dev/null || true
  read -r t m < <(measure "$BIN" --event "$WORK/event.json"); times+=("$t"); rss+=("$m")
  "$PY" -c "import json,sys; t=open(sys.argv[1]).read(); r=json.loads(t[t.rfind(chr(10)+'{'+chr(10))+1:] if not t.startswith('{'+chr(10)) else t)['results'][0]; assert r.get('summary'), r; print(len(r['files']), 'files,', sum(f['findings'] for f in r['files']), 'findings,', r['week'], file=sys.stderr)" "$WORK/out.json"
  cp "$WORK/out.json" "$WORK/first-$i.out"
  read -r t m < <(measure "$BIN" --event "$WORK/event.json"); again_t+=("$t"); again_m+=("$m")
  cp "$WORK/out.json" "$WORK/again-$i.out"
done
mb=$(du -sm "$DATA/week" | cut -f1)
t=$(printf '%s\n' "${times[@]}" | median); m=$(printf '%s\n' "${rss[@]}" | median)
at=$(printf '%s\n' "${again_t[@]}" | median); am=$(printf '%s\n' "${again_m[@]}" | median)
echo "| case | MB | median s | MB/s | peak RSS MB |"
echo "|---|---:|---:|---:|---:|"
printf '| `.complete` of a 15-account run: ingest from S3 + summary + diff | %d | %.2f | %.0f | %d |\n' "$mb" "$t" "$(echo "$mb / $t" | bc -l)" $((${m%.*} / 1024))
printf '| the same event redelivered (every file skipped, summary unchanged) | %d | %.2f | – | %d |\n' "$mb" "$at" $((${am%.*} / 1024))
echo "runs: ${times[*]} s; RSS ${rss[*]} KB"
[ -n "${KEEP:-}" ] && echo "kept $WORK" || rm -rf "$WORK"
