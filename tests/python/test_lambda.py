"""The Lambda end to end: a real S3 API server on loopback (moto), the function under
cargo-lambda's local runtime emulator (`cargo lambda watch`), events sent with
`cargo lambda invoke`, and the lake checked in S3.

Specified here: a run's `.complete` marker ingests the run and writes the week's summary and
diff; the same event again changes nothing; a corrupt account file is reported failed while
the others land and the summary names it; keys that are neither markers nor scan files are
ignored; a single scan file is ingested on its own (the fan-out path), after which the
marker only summarizes.
"""

import json
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import boto3
import pytest

from support import free_port, moto_server, wait_for

ROOT = Path(__file__).resolve().parents[2]
LAKE_BIN = os.environ.get("LAKE_BIN", str(Path.home() / ".cache/lake-target/debug/lake"))
RUNS = ROOT / "fixtures/runs"
LAKE_URL = "s3://lake/security"
# The report is emailed through SES in a sender account, reached by assuming a role there.
SENDER = "lake-reports@example.com"
SENDER_ROLE = "arn:aws:iam::210987654321:role/lake-ses-sender"
RECIPIENTS = ["ciso@example.com", "secops@example.com"]

@pytest.fixture(scope="module")
def s3_env(tmp_path_factory):
    with moto_server(tmp_path_factory.mktemp("moto")) as (env, s3):
        for bucket in ("scans", "lake"):
            s3.create_bucket(Bucket=bucket)
        # The sender is verified in the sender account only: mail gets out only if the
        # function really sends as the assumed role.
        sts = boto3.client("sts", endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1",
                           aws_access_key_id="test", aws_secret_access_key="test")
        creds = sts.assume_role(RoleArn=SENDER_ROLE, RoleSessionName="setup")["Credentials"]
        boto3.client("ses", endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1",
                     aws_access_key_id=creds["AccessKeyId"],
                     aws_secret_access_key=creds["SecretAccessKey"],
                     aws_session_token=creds["SessionToken"]).verify_email_identity(
                         EmailAddress=SENDER)
        yield env, s3


@pytest.fixture(scope="module")
def function(s3_env, tmp_path_factory):
    """`cargo lambda watch` serving the function; yields invoke(event) -> response."""
    env, _ = s3_env
    port = free_port()
    log_path = tmp_path_factory.mktemp("lambda") / "watch.log"
    log = open(log_path, "w")
    fn_env = dict(env, LAKE_URL=LAKE_URL, LAKE_SAMPLE="20", LAKE_METRIC_NAMESPACE="LakeTest",
                  RUST_LOG="info", LAKE_REPORT_TO=",".join(RECIPIENTS), LAKE_REPORT_FROM=SENDER,
                  LAKE_SES_ROLE_ARN=SENDER_ROLE)
    args = ["cargo", "lambda", "watch", "-A", "127.0.0.1", "-P", str(port), "-p", "lake-lambda",
            "--timeout", "600"]
    # An env file, not --env-var: cargo-lambda splits --env-var values on commas, and the
    # recipient list is comma-separated as it is in the Lambda's own configuration.
    env_file = log_path.parent / "function.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in fn_env.items()))
    args += ["--env-file", str(env_file)]
    watch = subprocess.Popen(args, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True, env=dict(os.environ, **env))
    wait_for(port, 120)
    events_dir = tmp_path_factory.mktemp("events")

    def invoke(records):
        event = {"Records": [s3_record(name, key) for name, key in records]}
        path = events_dir / f"event-{time.time_ns()}.json"
        path.write_text(json.dumps(event))
        out = subprocess.run(["cargo", "lambda", "invoke", "lake-lambda", "--data-file", str(path),
                              "-A", "127.0.0.1", "-P", str(port)],
                             cwd=ROOT, capture_output=True, text=True, timeout=900)
        assert out.returncode == 0, out.stderr + log_path.read_text()[-4000:]
        return json.loads(out.stdout)

    invoke.log = log_path
    yield invoke
    os.killpg(watch.pid, signal.SIGTERM)
    watch.wait(30)


def upload_run(s3, week, run, accounts, source_week=None, extra=()):
    """Uploads fixture account files of `source_week` as run `run` of `week`; returns its prefix."""
    prefix = f"prowler/{week}/{run}/"
    src = next((RUNS / (source_week or week)).iterdir())
    for account in accounts:
        f = next((src / account / "json-ocsf").iterdir())
        s3.upload_file(str(f), "scans", f"{prefix}{account}/json-ocsf/{f.name}")
    for account, path in extra:
        name = f"prowler-output-{account}-20260525020000.ocsf.json"
        s3.upload_file(str(path), "scans", f"{prefix}{account}/json-ocsf/{name}")
    return prefix


def s3_record(name, key):
    """One record of an S3 event notification, as S3 sends it."""
    return {"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
             "eventTime": "2026-05-18T06:00:00.000Z", "eventName": name,
             "userIdentity": {"principalId": "AWS:AROAEXAMPLE:prowler"},
             "requestParameters": {"sourceIPAddress": "10.0.0.1"},
             "responseElements": {"x-amz-request-id": "EXAMPLE", "x-amz-id-2": "EXAMPLE"},
             "s3": {"s3SchemaVersion": "1.0", "configurationId": "lake",
                    "bucket": {"name": "scans", "ownerIdentity": {"principalId": "EXAMPLE"},
                               "arn": "arn:aws:s3:::scans"},
                    "object": {"key": key, "size": 1, "eTag": "0", "sequencer": "0"}}}


def lake_objects(s3):
    out = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket="lake"):
        for o in page.get("Contents", []):
            out[o["Key"]] = (o["ETag"], o["Size"], o["LastModified"])
    return out


def moto_state(env):
    """What the S3/SES/STS server holds (moto's own API): sent messages, assumed roles."""
    with urllib.request.urlopen(f"{env['AWS_ENDPOINT_URL']}/moto-api/data.json") as r:
        return json.loads(r.read())


def sent_messages(env):
    return moto_state(env)["ses"]["Message"]


def marker(s3, prefix):
    key = f"{prefix}run.complete"
    s3.put_object(Bucket="scans", Key=key, Body=b"")
    return ("ObjectCreated:Put", key)


ACCOUNTS = ["111111111111", "222222222222", "333333333333"]


def test_a_run_lands_once_however_often_its_marker_is_delivered(s3_env, function):
    env, s3 = s3_env
    first = function([marker(s3, upload_run(s3, "2026-W20", "run-20260511T020000Z", ACCOUNTS))])
    [r] = first["results"]
    assert r["trigger"] == "run_complete" and r["week"] == "2026-W20"
    assert [f["status"] for f in r["files"]] == ["succeeded"] * 3

    prefix = upload_run(s3, "2026-W21", "run-20260518T020000Z", ACCOUNTS)
    response = function([marker(s3, prefix)])
    [r] = response["results"]
    assert r["week"] == "2026-W21"
    statuses = {f["account"]: f["status"] for f in r["files"]}
    assert statuses == {"111111111111": "succeeded", "222222222222": "succeeded",
                        "333333333333": "partial"}  # the truncated fixture keeps what it had
    summary = r["summary"]
    assert summary["week"] == "2026-W21" and summary["previous_week"] == "2026-W20"
    assert summary["scope"]["accounts_partial"][0]["account"] == "333333333333"
    assert r["summary_uri"] == f"{LAKE_URL}/summaries/week=2026-W21/summary.json"

    objects = lake_objects(s3)
    stored = s3.get_object(Bucket="lake", Key="security/summaries/week=2026-W21/summary.json")["Body"].read()
    assert json.loads(stored) == summary
    # The same bytes `lake summary` prints for the same lake.
    cli = subprocess.run([LAKE_BIN, "summary", "--week", "2026-W21", "--sample", "20", "--lake", LAKE_URL],
                         capture_output=True, text=True, check=True, env=dict(os.environ, **env))
    assert cli.stdout.encode() == stored
    diff = json.loads(s3.get_object(Bucket="lake", Key="security/summaries/week=2026-W21/diff.json")["Body"].read())
    assert {d["change"] for d in diff} >= {"onboarded", "persisting", "resolved"}
    for change in ("new", "onboarded", "persisting", "resolved", "unverified"):
        unmuted = sum(d["change"] == change and not d["muted"] for d in diff)
        assert unmuted == summary["changes"][change], change
    # The week's report beside the summary: what `lake report` writes for the same lake.
    base = "security/reports/week=2026-W21/report."
    reports = {k: s3.get_object(Bucket="lake", Key=k)["Body"].read() for k in objects
               if k.startswith(base)}
    assert sorted(reports) == [base + "confluence.xml", base + "html", base + "md"]
    assert r["report_uris"] == [f"{LAKE_URL}/reports/week=2026-W21/report.{e}"
                                for e in ("md", "html", "confluence.xml")]
    assert r["report_changed"] is True
    for ext, fmt in (("md", "markdown"), ("html", "html"), ("confluence.xml", "confluence")):
        cli = subprocess.run([LAKE_BIN, "report", "--week", "2026-W21", "--format", fmt,
                              "--lake", LAKE_URL],
                             capture_output=True, check=True, env=dict(os.environ, **env))
        assert cli.stdout == reports[base + ext], ext
    assert reports[base + "md"].startswith(b"# Week 2026-W21\n")
    # ... and emailed once, as the sender account's role, with the numbers in the subject.
    sent = r["email"]
    assert sent["to"] == RECIPIENTS and sent["role_arn"] == SENDER_ROLE
    [message] = [m for m in sent_messages(env) if m["id"] == sent["message_id"]]
    assert message["source"] == SENDER
    assert message["destinations"]["ToAddresses"] == RECIPIENTS
    assert message["subject"].startswith("Security report, week 2026-W21: 47 open failures")
    assert message["body"] == reports[base + "html"].decode()
    roles = moto_state(env)["sts"]["AssumedRole"]
    assert any(a["role_arn"] == SENDER_ROLE and a["session_name"] == "lake-report" for a in roles)
    emailed = json.loads(s3.get_object(Bucket="lake", Key="security/reports/week=2026-W21/email.json")["Body"].read())
    assert emailed["message_id"] == sent["message_id"]
    messages = len(sent_messages(env))
    findings = [k for k in objects if k.startswith("security/findings/")]
    assert len(findings) == 6 and all(k.endswith(".parquet") for k in findings)
    assert len([k for k in objects if k.startswith("security/scans/")]) == 6
    # The week's changes stored for the queries; without a business context not its open
    # failures' lifecycle (nothing here reads it, and it is the costly step: `lake compact`).
    pair = "security/_changes/week=2026-W21/against=2026-W20/"
    assert {k[len(pair):] for k in objects if k.startswith(pair)} == {
        "changes.parquet", "counts.parquet", "compliance.parquet"}

    # Redelivery: nothing is written, nothing changes.
    again = function([("ObjectCreated:Put", f"{prefix}run.complete")])
    assert all(f["skipped"] for f in again["results"][0]["files"])
    assert again["results"][0]["summary"] == summary
    assert again["results"][0]["report_changed"] is False
    assert "email" not in again["results"][0] and len(sent_messages(env)) == messages
    assert lake_objects(s3) == objects

    # Metrics: one EMF line per invocation, the freshness metric with a summary.
    emf = [json.loads(line[line.index("{"):]) for line in function.log.read_text().splitlines()
           if '"_aws"' in line]
    assert len(emf) >= 3
    assert emf[-1]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "LakeTest"
    assert emf[-1]["FilesSkipped"] == 3 and emf[-1]["SummaryWritten"] == 1


def test_a_corrupt_account_file_fails_alone_and_the_summary_names_it(s3_env, function):
    _, s3 = s3_env
    prefix = upload_run(s3, "2026-W22", "run-20260525T020000Z", ACCOUNTS[:2], source_week="2026-W21",
                        extra=[("444444444444", ROOT / "fixtures/bad/not-json.ocsf.json")])
    [r] = function([marker(s3, prefix)])["results"]
    statuses = {f["account"]: f["status"] for f in r["files"]}
    assert statuses == {"111111111111": "succeeded", "222222222222": "succeeded",
                        "444444444444": "failed"}
    failed = next(f for f in r["files"] if f["account"] == "444444444444")
    assert "byte" in failed["error"]
    scope = r["summary"]["scope"]
    assert [a["account"] for a in scope["accounts_failed"]] == ["444444444444"]
    assert scope["accounts_scanned"] == ACCOUNTS[:2]
    assert [a["account"] for a in scope["accounts_missing"]] == ["333333333333"]
    assert scope["accounts_missing"][0]["last_seen"] == "2026-W21"
    objects = lake_objects(s3)
    assert any("run-20260525T020000Z" in k and "111111111111" in k for k in objects
               if k.startswith("security/findings/"))
    assert not any("444444444444" in k for k in objects if k.startswith("security/findings/"))


def test_other_keys_are_ignored_and_single_files_fan_out(s3_env, function):
    _, s3 = s3_env
    ignored = function([("ObjectCreated:Put", "prowler/2026-W23/run-x/111111111111/csv/out.csv")])
    assert ignored["results"][0]["trigger"] == "ignored"
    assert "neither" in ignored["results"][0]["reason"]

    prefix = upload_run(s3, "2026-W23", "run-20260601T020000Z", ACCOUNTS[:2], source_week="2026-W21")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="scans", Prefix=prefix)["Contents"]]
    for key in keys:  # one invocation per object, as per-object notifications would
        [r] = function([("ObjectCreated:Put", key)])["results"]
        assert r["trigger"] == "scan_file" and r["files"][0]["status"] == "succeeded"
    [r] = function([marker(s3, prefix)])["results"]
    assert all(f["skipped"] for f in r["files"]) and len(r["files"]) == 2
    assert r["summary"]["week"] == "2026-W23"
