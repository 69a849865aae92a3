"""Athena over the same partitions, proven on engines nobody here wrote.

- DuckDB reads the lake written by `lake ingest` (hive partitioning) and counts what
  DataFusion counts.
- Every named query printed in Athena's dialect (`lake query NAME --dialect athena`) parses
  with sqlglot's `athena` dialect, is transpiled to DuckDB and run on the same lake: the rows
  are those `lake query NAME` gives (DataFusion) for the same parameters.
- The DDL of `lake athena ddl` parses as Athena DDL (sqlglot); Spark SQL runs it: see
  test_spark_ddl.py.
"""

import datetime as dt
import decimal
import json
import os
import subprocess
from pathlib import Path

import duckdb
import pytest
import sqlglot

ROOT = Path(__file__).resolve().parents[2]
LAKE_BIN = os.environ.get("LAKE_BIN", str(Path.home() / ".cache/lake-target/debug/lake"))


def lake(*args, check=True):
    return subprocess.run([LAKE_BIN, *args], capture_output=True, text=True, check=check)


@pytest.fixture(scope="module")
def lake_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("lake")
    sources = [str(ROOT / "fixtures/runs"), str(ROOT / "fixtures/providers")]
    result = lake("ingest", *sources, "--lake", str(out), check=False)
    assert result.returncode == 1, result.stderr  # one truncated account file
    # The business context the risk queries (priorities, owners, landing-zones) read.
    lake("context", "set", str(ROOT / "fixtures/context/context.yaml"), "--from", "2026-W19",
         "--lake", str(out))
    return str(out)


def duck_over(lake_dir):
    """DuckDB with `findings` and `scans` over the lake as Athena sees them (dt a string)."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for table in ("findings", "scans"):
        con.execute(
            f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{lake_dir}/{table}/*/*.parquet', "
            "hive_partitioning = true, hive_types = {'dt': 'VARCHAR'})"
        )
    # The context tables, as `lake athena ddl` declares them (unpartitioned): in Athena they
    # exist, empty, before any `lake context set`.
    for table in ("versions", "accounts", "rules"):
        source = Path(lake_dir) / "context" / table
        empty = ""
        if not source.is_dir():
            source, empty = empty_context() / "context" / table, " LIMIT 0"
        con.execute(
            f"CREATE VIEW context_{table} AS "
            f"SELECT * FROM read_parquet('{source}/*.parquet'){empty}"
        )
    return con


_EMPTY_CONTEXT = []


def empty_context():
    """A lake holding nothing but a context version: the context tables' columns."""
    if not _EMPTY_CONTEXT:
        import atexit
        import shutil
        import tempfile
        out = Path(tempfile.mkdtemp(prefix="lake-context-"))
        atexit.register(shutil.rmtree, out, ignore_errors=True)
        lake("context", "set", str(ROOT / "fixtures/context/context.yaml"), "--lake", str(out))
        _EMPTY_CONTEXT.append(out)
    return _EMPTY_CONTEXT[0]


@pytest.fixture(scope="module")
def duck(lake_dir):
    return duck_over(lake_dir)


def datafusion_rows(lake_dir, *args):
    out = lake("query", *args, "--format", "ndjson", "--lake", lake_dir).stdout
    return [json.loads(line) for line in out.splitlines()]


def rfc3339(t: dt.datetime) -> str:
    """A timestamp as `lake` prints it (RFC 3339, UTC, 0/3/6 fractional digits)."""
    t = t.astimezone(dt.timezone.utc).replace(tzinfo=None)
    base = t.strftime("%Y-%m-%dT%H:%M:%S")
    us = t.microsecond
    if us == 0:
        return base + "Z"
    if us % 1000 == 0:
        return f"{base}.{us // 1000:03d}Z"
    return f"{base}.{us:06d}Z"


def normalize(v):
    """Values of either engine in one comparable form."""
    if isinstance(v, dt.datetime):
        return rfc3339(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, (float, decimal.Decimal)) and not isinstance(v, bool):
        return round(float(v), 6)
    if isinstance(v, int) and not isinstance(v, bool):
        return float(v)
    if isinstance(v, list):
        return [normalize(x) for x in v]
    if isinstance(v, dict):
        return {k: normalize(x) for k, x in v.items()}
    return v


def athena_rows(duck, sql):
    """Runs each Athena statement transpiled to DuckDB; the rows of each as dicts."""
    results = []
    for statement in sqlglot.transpile(sql, read="athena", write="duckdb"):
        cur = duck.execute(statement)
        names = [d[0] for d in cur.description]
        results.append([dict(zip(names, row)) for row in cur.fetchall()])
    return results


CASES = {
    "diff": ["--week", "2026-W21"],
    "diff-against": ["--week", "2026-W21", "--against", "2026-W19"],
    "posture": ["--week", "2026-W21"],
    "posture-first-week": ["--week", "2026-W19"],
    "trend": [],
    "trend-2": ["--weeks", "2"],
    "compliance": ["--week", "2026-W21"],
    "compliance-one": ["--week", "2026-W20", "--framework", "CIS-3.0"],
    "lookback": ["--check", "s3_bucket_public_access", "--as-of", "2026-05-24"],
    "lookback-short": ["--check", "s3_bucket_default_encryption", "--days", "10",
                       "--as-of", "2026-05-24"],
    "summary": ["--week", "2026-W21", "--sample", "20"],
    "priorities": ["--week", "2026-W21"],
    "priorities-filtered": ["--week", "2026-W21", "--min-severity", "high", "--min-age", "7",
                            "--where", "environment=prod", "--where", "exposure=public",
                            "--limit", "5"],
    "priorities-reopened": ["--week", "2026-W21", "--where", "status=reopened"],
    "owners": ["--week", "2026-W21"],
    "owners-unowned": ["--week", "2026-W21", "--where", "owner=none"],
    "landing-zones": ["--week", "2026-W21"],
    "landing-zones-staging": ["--week", "2026-W21", "--where", "environment=staging"],
}

# The query each case runs: the longest query name the case starts with.
QUERY_NAMES = sorted({"diff", "posture", "trend", "compliance", "lookback", "summary",
                      "priorities", "owners", "landing-zones"}, key=len, reverse=True)


@pytest.mark.parametrize("case", list(CASES))
def test_athena_query_on_duckdb_gives_datafusions_rows(case, lake_dir, duck):
    name = next(n for n in QUERY_NAMES if case == n or case.startswith(n + "-"))
    args = CASES[case]
    sql = lake("query", name, *args, "--dialect", "athena").stdout
    # Parses as Athena SQL, with nothing left unbound.
    assert all(sqlglot.parse(sql, read="athena"))
    assert "$" not in "".join(line for line in sql.splitlines() if not line.startswith("--"))

    statements = athena_rows(duck, sql)
    expected = datafusion_rows(lake_dir, name, *args)
    # The summary is assembled from several statements; its sample is the named query's rows.
    got = statements[-1]
    assert expected, f"{case}: the fixture lake should give rows"
    assert [normalize(r) for r in got] == [normalize(r) for r in expected], case


def test_the_summary_statements_agree_with_the_summary_document(lake_dir, duck):
    sql = lake("query", "summary", "--week", "2026-W21", "--dialect", "athena").stdout
    scope, counts, checks, sources, risk, _sample = athena_rows(duck, sql)
    summary = json.loads(lake("summary", "--week", "2026-W21", "--lake", lake_dir).stdout)

    assert summary["sources"] == {
        r["source"]: {k: int(v) for k, v in r.items() if k != "source"} for r in sources}
    assert set(summary["sources"]) == {"prowler"}

    changes = {r["name"]: int(r["current"]) for r in counts if r["section"] == "change"}
    assert {k: v for k, v in summary["changes"].items() if v} == changes
    severity = {r["name"].lower(): int(r["current"]) for r in counts if r["section"] == "severity"}
    assert {k: v for k, v in summary["open_fail_by_severity"]["current"].items() if v} == severity
    assert [c["check_id"] for c in summary["top_failing_checks"]] == [r["check_id"] for r in checks]
    scanned = sorted({r["account_uid"] for r in scope if r["status"] in ("succeeded", "partial")})
    assert summary["scope"]["accounts_scanned"] == scanned
    missing = sorted({(r["account_uid"], r["last_week"], int(r["weeks_missing"]))
                      for r in scope if r["status"] == "missing"})
    assert [(m["account"], m["last_seen"], m["weeks_missing"])
            for m in summary["scope"]["accounts_missing"]] == missing
    # Risk in context: the same zones, owners and five riskiest findings in both engines.
    zones = {r["name"]: (int(r["open_fail"]), int(r["sla_breaches"]), int(r["high_risk"]))
             for r in risk if r["section"] == "landing_zone"}
    assert {k: (v["open_fail"], v["sla_breaches"], v["high_risk"])
            for k, v in summary["risk"]["by_landing_zone"].items()} == zones
    assert set(zones) == {"workloads-prod", "workloads-nonprod", "none"}
    owners = {r["name"]: int(r["open_fail"]) for r in risk if r["section"] == "owner"}
    assert {k: v["open_fail"] for k, v in summary["risk"]["by_owner"].items()} == owners
    top = [(r["check_id"], r["account_uid"], int(r["max_risk"])) for r in risk if r["section"] == "top"]
    assert [(t["check_id"], t["account"], t["risk"]) for t in summary["risk"]["top_risks"]] == top
    assert len(top) == 5 and summary["risk"]["context_version"] == 1


def test_duckdb_counts_what_datafusion_counts(lake_dir, duck):
    sql = ("SELECT dt, severity, status_code, count(*) AS n FROM findings "
           "GROUP BY dt, severity, status_code ORDER BY dt, severity, status_code")
    ours = json.loads(lake("query", "--sql", sql, "--format", "json", "--lake", lake_dir).stdout)
    theirs = duck.execute(sql).fetchall()
    assert [(r["dt"], r["severity"], r["status_code"], r["n"]) for r in ours] == theirs
    assert sum(n for *_, n in theirs) == duck.execute("SELECT sum(findings) FROM scans").fetchone()[0]


def test_the_ddl_is_athena_ddl_generated_from_the_schema():
    ddl = lake("athena", "ddl", "--location", "s3://bucket/lake", "--database", "security").stdout
    statements = sqlglot.parse(ddl, read="athena")
    # database, findings, scans, and the three context tables
    assert len([s for s in statements if s]) == 6
    for table in ("context_versions", "context_accounts", "context_rules"):
        assert any(s and f"`security`.`{table}`" in s.sql("athena") for s in statements), table
    schema = json.loads(lake("schema", "--json").stdout)
    for table in ("findings", "scans"):
        create = next(s for s in statements if s and f"`security`.`{table}`" in s.sql("athena"))
        text = create.sql("athena")
        for column in schema[table]:
            assert f"`{column['name']}`" in ddl, column["name"]
        assert f"LOCATION 's3://bucket/lake/{table}/'" in text
    assert ddl.count("'projection.dt.type' = 'date'") == 2
    assert ddl.count("'storage.location.template' = 's3://bucket/lake/") == 2


def test_bad_ddl_arguments_are_refused():
    for args in (["--location", "bucket/lake"],
                 ["--location", "s3://b/l", "--database", "Bad-Name"],
                 ["--location", "s3://b/l'x"]):
        r = lake("athena", "ddl", *args, check=False)
        assert r.returncode != 0 and r.stderr.startswith("lake: "), (args, r.stderr)


# The change-semantics cases (fixtures/semantics, specified in
# crates/lake-query/tests/queries/semantics.rs): the Athena rendering must classify and count
# exactly as lake does, week by week.
SEMANTICS = ROOT / "fixtures/semantics"


@pytest.mark.parametrize("case", sorted(p.name for p in SEMANTICS.iterdir() if p.is_dir()))
def test_athena_classifies_each_semantics_case_as_lake_does(case, tmp_path):
    lake_dir = str(tmp_path / "lake")
    lake("ingest", str(SEMANTICS / case), "--lake", lake_dir, check=False)
    duck = duck_over(lake_dir)
    weeks = sorted(p.name for p in (SEMANTICS / case).iterdir())
    last_sunday = (dt.date.fromisoformat("2026-05-04")
                   + dt.timedelta(weeks=int(weeks[-1][-2:]) - 19, days=6)).isoformat()
    runs = [("trend", [])]
    for w in weeks:
        runs += [("diff", ["--week", w]), ("posture", ["--week", w])]
    for check in ("iam_user_mfa_enabled", "ec2_ebs_volume_encryption", "keyvault_rbac_enabled"):
        runs.append(("lookback", ["--check", check, "--days", "21", "--as-of", last_sunday]))
    runs.append(("summary", ["--week", weeks[-1], "--sample", "10"]))
    if case == "producers":
        # One producer's answers, Athena's (a CTE over its scans) and lake's (its manifest).
        for source in ("prowler", "securityhub"):
            runs += [("diff", ["--week", weeks[-1], "--source", source]),
                     ("summary", ["--week", weeks[-1], "--sample", "10", "--source", source])]
    compared = 0
    for name, args in runs:
        sql = lake("query", name, *args, "--dialect", "athena").stdout
        got = athena_rows(duck, sql)[-1]
        expected = datafusion_rows(lake_dir, name, *args)
        assert [normalize(r) for r in got] == [normalize(r) for r in expected], (case, name, args)
        compared += len(expected)
    assert compared > 0, case
