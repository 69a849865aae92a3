"""`lake query` from the command line, on a lake ingested from fixtures/runs."""

import csv
import io
import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAKE_BIN = os.environ.get("LAKE_BIN", str(Path.home() / ".cache/lake-target/debug/lake"))


def lake(*args, check=True):
    return subprocess.run([LAKE_BIN, *args], capture_output=True, text=True, check=check)


@pytest.fixture(scope="module")
def lake_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("lake")
    result = lake("ingest", str(ROOT / "fixtures/runs"), "--lake", str(out), check=False)
    assert result.returncode == 1, result.stderr  # one truncated account file
    return str(out)


def test_diff_as_json_rows_carry_the_documented_keys(lake_dir):
    rows = json.loads(lake("query", "diff", "--week", "2026-W21", "--format", "json", "--lake", lake_dir).stdout)
    assert isinstance(rows, list) and rows
    for key in ["finding_key", "finding_uid", "change", "reason", "muted", "severity", "check_id",
                "account_uid", "region", "resource_uid", "status_now", "status_before",
                "baseline_week"]:
        assert all(key in r for r in rows), key
    assert {r["change"] for r in rows} == {"onboarded", "regressed", "persisting", "resolved",
                                           "unverified"}
    # Every row that is not plainly observed says why.
    assert all(r["reason"] for r in rows if r["change"] in ("onboarded", "unverified"))
    assert all(isinstance(r["muted"], bool) for r in rows)


def test_csv_ndjson_and_output_file_agree(lake_dir, tmp_path):
    args = ["query", "trend", "--lake", lake_dir]
    table = list(csv.DictReader(io.StringIO(lake(*args, "--format", "csv").stdout)))
    lines = [json.loads(l) for l in lake(*args, "--format", "ndjson").stdout.splitlines()]
    target = tmp_path / "trend.json"
    assert lake(*args, "--format", "json", "--output", str(target)).stdout == ""
    from_file = json.loads(target.read_text())
    assert [r["week"] for r in table] == [r["week"] for r in lines] == [r["week"] for r in from_file]
    assert [int(r["open_fail"]) for r in table] == [r["open_fail"] for r in lines] == [67, 66, 47]


def test_summary_is_byte_identical_and_compact(lake_dir):
    a = lake("summary", "--week", "2026-W21", "--lake", lake_dir).stdout
    b = lake("query", "summary", "--week", "2026-W21", "--format", "json", "--lake", lake_dir).stdout
    assert a == b
    s = json.loads(a)
    assert s["open_fail_by_severity"]["current"]["high"] >= 0
    assert len(s["sample"]) <= 50


def test_summary_can_write_the_diff_beside_it(lake_dir, tmp_path):
    # The Lambda's two files from the CLI: the same summary, and the same rows as the diff
    # query, byte for byte.
    target = tmp_path / "diff.json"
    a = lake("summary", "--week", "2026-W21", "--diff-output", str(target), "--lake", lake_dir).stdout
    assert a == lake("summary", "--week", "2026-W21", "--lake", lake_dir).stdout
    alone = lake("query", "diff", "--week", "2026-W21", "--format", "json", "--lake", lake_dir).stdout
    assert target.read_text() == alone
    assert len(json.loads(alone)) > 0


def test_errors_are_one_line_and_nonzero(lake_dir):
    for args in (["query", "diff", "--week", "2026-W30"],
                 # a comparison looks back
                 ["query", "diff", "--week", "2026-W20", "--against", "2026-W21"],
                 ["query", "posture", "--week", "2026-W21", "--against", "2026-W21"],
                 # a window with no scans is not "it did not fail"
                 ["query", "lookback", "--check", "s3_bucket_public_access", "--as-of", "2025-01-01"],
                 # a framework the week does not hold is not "no failing requirements"
                 ["query", "compliance", "--week", "2026-W21", "--framework", "NOPE-1.0"],
                 ["query", "lookback", "--check", "x' OR 1=1 --"],
                 ["query", "nope"],
                 ["query", "--sql", "SELECT * FROM no_such_table"],
                 # fails while its rows stream, not when planned
                 ["query", "--sql", "SELECT CAST(check_id AS INT) FROM findings"]):
        r = lake(*args, "--lake", lake_dir, check=False)
        assert r.returncode != 0, args
        assert r.stderr.startswith("lake: ") and r.stderr.count("\n") == 1, (args, r.stderr)


def test_a_flag_the_query_does_not_take_is_refused_not_ignored(lake_dir):
    # Ignored, each would answer another question than the one asked.
    for args, said in ((["query", "diff", "--min-risk", "50"], "--min-risk does not apply to `diff`"),
                       (["query", "posture", "--check", "x"], "--check does not apply to `posture`"),
                       (["query", "owners", "--limit", "1"], "--limit does not apply to `owners`"),
                       (["query", "trend", "--week", "2026-W21"], "--week does not apply to `trend`"),
                       (["query", "--sql", "SELECT 1", "--limit", "1"], "--limit does not apply to --sql"),
                       (["query", "landing-zones", "--where", "owner=platform"],
                        "landing-zones selects accounts by environment only"),
                       (["query", "priorities", "--where", "region=us-east-1", "--where", "region=eu-west-1"],
                        "region given twice")):
        r = lake(*args, "--lake", lake_dir, check=False)
        assert r.returncode == 2 and said in r.stderr, (args, r.stderr)
    # What a query takes still runs, --source with every query.
    lake("query", "priorities", "--week", "2026-W21", "--limit", "1", "--where", "region=us-east-1",
         "--source", "prowler", "--lake", lake_dir)
    lake("query", "landing-zones", "--week", "2026-W21", "--where", "environment=prod", "--lake", lake_dir)


def test_a_lookback_of_a_check_without_findings_says_so_rather_than_never_failed(lake_dir):
    r = lake("query", "lookback", "--check", "s3_bucket_public_acess", "--as-of", "2026-05-24",
             "--lake", lake_dir)
    assert "(no rows)" in r.stdout
    assert "check s3_bucket_public_acess has no finding in the 90 days to 2026-05-24" in r.stderr
    r = lake("query", "lookback", "--check", "s3_bucket_public_access", "--as-of", "2026-05-24",
             "--lake", lake_dir)
    assert "has no finding" not in r.stderr


def test_a_week_not_given_is_the_latest_with_data_and_said_so(lake_dir, tmp_path):
    for args in (["query", "posture", "--format", "csv"], ["query", "diff", "--format", "json"],
                 ["summary"]):
        implied = lake(*args, "--lake", lake_dir)
        given = lake(*args, "--week", "2026-W21", "--lake", lake_dir)
        assert implied.stdout == given.stdout and implied.stdout, args
        assert implied.stderr == "lake: --week not given: 2026-W21, the latest week with data\n"
        assert given.stderr == ""
    # A lake with nothing landed has no latest week: one line, nonzero.
    empty = tmp_path / "empty"
    empty.mkdir()
    r = lake("query", "posture", "--lake", str(empty), check=False)
    assert r.returncode != 0 and r.stderr.startswith("lake: --week:") and r.stderr.count("\n") == 1
    # Queries without a week are unchanged: trend names no week.
    assert "not given" not in lake("query", "trend", "--lake", lake_dir).stderr


def test_an_error_says_each_cause_once(lake_dir, tmp_path):
    r = lake("query", "--sql", "selec 1", "--lake", lake_dir, check=False)
    assert r.returncode == 2 and r.stderr.count("Expected: an SQL statement") == 1, r.stderr
    r = lake("ingest", str(tmp_path / "no-such-scan.ocsf.json"), "--lake", lake_dir, check=False)
    assert r.returncode != 0 and "no such file or directory" in r.stderr, r.stderr


def test_an_output_file_is_created_as_the_umask_says_and_keeps_its_mode_when_replaced(lake_dir, tmp_path):
    out = tmp_path / "posture.json"
    old = os.umask(0o022)
    try:
        lake("query", "posture", "--week", "2026-W21", "--format", "json", "-o", str(out), "--lake", lake_dir)
        assert out.stat().st_mode & 0o777 == 0o644
        out.chmod(0o640)
        lake("query", "posture", "--week", "2026-W21", "--format", "json", "-o", str(out), "--lake", lake_dir)
        assert out.stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(old)


def test_a_query_failing_while_its_rows_stream_leaves_no_output_file(lake_dir, tmp_path):
    target = tmp_path / "rows.json"
    r = lake("query", "--sql", "SELECT CAST(check_id AS INT) FROM findings", "--format", "json",
             "--output", str(target), "--lake", lake_dir, check=False)
    assert r.returncode != 0 and r.stderr.startswith("lake: "), r.stderr
    assert not target.exists()
    assert list(tmp_path.iterdir()) == [], "no temporary file left behind"


def test_adhoc_sql_sees_tables_and_views(lake_dir):
    rows = json.loads(lake("query", "--sql",
                           "SELECT week, count(*) AS n FROM latest_findings GROUP BY week ORDER BY week",
                           "--format", "json", "--lake", lake_dir).stdout)
    assert rows == [{"week": "2026-W19", "n": 88}, {"week": "2026-W20", "n": 88}, {"week": "2026-W21", "n": 65}]


def test_adhoc_finding_changes_classify_the_week_as_diff_does(lake_dir):
    def counts(rows):
        out = {}
        for r in rows:
            out[r["change"]] = out.get(r["change"], 0) + 1
        return out

    sql = "SELECT change, count(*) AS n FROM finding_changes GROUP BY change ORDER BY change"
    for week, against in (("2026-W21", None), ("2026-W21", "2026-W19"), ("2026-W20", None)):
        extra = ["--against", against] if against else []
        adhoc = json.loads(lake("query", "--sql", sql, "--week", week, *extra, "--format", "json",
                                "--lake", lake_dir).stdout)
        diff = json.loads(lake("query", "diff", "--week", week, *extra, "--format", "json",
                               "--lake", lake_dir).stdout)
        assert {r["change"]: r["n"] for r in adhoc} == counts(diff), (week, against)
        assert adhoc, week
    # No week given: the latest, said on stderr, as for the named queries.
    r = lake("query", "--sql", sql, "--format", "json", "--lake", lake_dir)
    assert r.stderr == "lake: --week not given: 2026-W21, the latest week with data\n"
    assert r.stdout == lake("query", "--sql", sql, "--week", "2026-W21", "--format", "json",
                            "--lake", lake_dir).stdout


def test_output_to_a_pipe_writes_through_it_and_leaves_it_a_pipe(lake_dir, tmp_path):
    import stat
    import threading
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    lake("query", "trend", "--format", "json", "--output", str(fifo), "--lake", lake_dir)
    reader.join(30)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode), "the pipe was replaced by a file"
    assert [r["week"] for r in json.loads(got[0])] == ["2026-W19", "2026-W20", "2026-W21"]


def test_a_context_file_is_checked_before_it_is_stored(lake_dir, tmp_path):
    bad = tmp_path / "context.yaml"
    bad.write_text("accounts:\n  - id: '111111111111'\n    environment: production\n"
                   "    landing_zone: payments\n")
    result = lake("context", "set", str(bad), "--lake", lake_dir, check=False)
    assert result.returncode != 0
    # Every problem, as file:line:column: what.
    assert f"{bad}:3:18: environment `production` is not one of: prod, staging, dev, sandbox" \
        in result.stderr, result.stderr
    assert f"{bad}:4:19: landing zone `payments` is not defined under landing_zones" \
        in result.stderr, result.stderr
    # Nothing was stored.
    assert lake("context", "list", "--lake", lake_dir, "--format", "json").stdout.strip() == "[]"

    good = ROOT / "fixtures/context/context.yaml"
    assert "valid: 2 landing zones, 3 accounts, 4 resource rules" in lake("context", "check", str(good)).stdout
    out = lake("context", "set", str(good), "--from", "2026-W19", "--lake", lake_dir).stdout
    assert out.startswith("context version 1 from "), out
    versions = json.loads(lake("context", "list", "--lake", lake_dir, "--format", "json").stdout)
    assert [(v["version"], v["effective_week"], v["accounts"]) for v in versions] == [(1, "2026-W19", 3)]
    # The riskiest open failure of the week, with its reason.
    top = json.loads(lake("query", "priorities", "--week", "2026-W21", "--limit", "1",
                          "--format", "json", "--lake", lake_dir).stdout)
    assert len(top) == 1 and top[0]["risk_reason"].startswith(top[0]["severity"] + " ")
    assert top[0]["landing_zone"] in ("workloads-prod", "workloads-nonprod")
