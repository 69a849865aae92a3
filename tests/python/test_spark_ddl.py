"""The DDL of `lake athena ddl` runs in Spark SQL with Hive support over a lake written by
`lake ingest`: partitions are discovered, every column of every row reads back with the
declared type, and the counts per dt and severity are DataFusion's.

Spark stores the partition projection properties and ignores them, so partitions are found
with MSCK REPAIR TABLE, as a Hive metastore without projection would.
"""

import json
import os
import subprocess
from pathlib import Path

import pytest

from pyspark.sql import SparkSession

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
    return out


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    home = tmp_path_factory.mktemp("spark")
    session = (
        SparkSession.builder.master("local[2]")
        .appName("lake-ddl-test")
        .enableHiveSupport()
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.variable.substitute", "false")
        .config("spark.sql.warehouse.dir", str(home / "warehouse"))
        .config("spark.hadoop.javax.jdo.option.ConnectionURL",
                f"jdbc:derby:;databaseName={home}/metastore_db;create=true")
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={home}")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def statements(ddl):
    for chunk in ddl.split(";\n"):
        code = "\n".join(l for l in chunk.splitlines() if not l.lstrip().startswith("--")).strip()
        if code:
            yield code


def test_spark_runs_the_ddl_and_reads_every_column(lake_dir, spark):
    lake("context", "set", str(ROOT / "fixtures/context/context.yaml"), "--from", "2026-W19",
         "--lake", str(lake_dir))
    ddl = lake("athena", "ddl", "--location", f"file://{lake_dir}", "--database", "lake_ddl_test").stdout
    spark.sql("DROP DATABASE IF EXISTS lake_ddl_test CASCADE")
    for statement in statements(ddl):
        spark.sql(statement)
    for table in ("findings", "scans"):
        spark.sql(f"MSCK REPAIR TABLE lake_ddl_test.{table}")

    # Every column of every row, with the declared types (a wrong type fails here).
    findings = spark.sql("SELECT * FROM lake_ddl_test.findings").collect()
    scans = spark.sql("SELECT * FROM lake_ddl_test.scans").collect()
    manifest = [json.loads(l) for l in lake("scans", "--lake", str(lake_dir), "--format", "json").stdout.splitlines()]
    assert len(scans) == len(manifest)
    assert len(findings) == sum(r["findings"] for r in manifest) > 0
    some = next(r for r in findings if r["resources"])
    assert some["resources"][0]["uid"] and isinstance(some["compliance"], dict)
    assert some["scan_time"].year >= 2024

    sql = ("SELECT dt, severity, count(*) AS n FROM {t} GROUP BY dt, severity ORDER BY dt, severity")
    theirs = [tuple(r) for r in spark.sql(sql.format(t="lake_ddl_test.findings")).collect()]
    ours = json.loads(lake("query", "--sql", sql.format(t="findings"), "--format", "json",
                           "--lake", str(lake_dir)).stdout)
    assert theirs == [(r["dt"], r["severity"], r["n"]) for r in ours]
    partitions = {r[0] for r in spark.sql("SHOW PARTITIONS lake_ddl_test.findings").collect()}
    assert partitions == {f"dt={r['dt']}" for r in ours}

    # The context tables (unpartitioned) read with their declared types.
    accounts = spark.sql("SELECT * FROM lake_ddl_test.context_accounts ORDER BY account_uid").collect()
    assert [(a["account_uid"], a["environment"]) for a in accounts] == [
        ("111111111111", "prod"), ("222222222222", "staging"), ("333333333333", "sandbox")]
    assert list(accounts[0]["zone_regions"]) == ["us-east-1", "eu-west-1"]
    assert accounts[0]["sla_critical"] == 3
    versions = spark.sql("SELECT version, effective_week, rules FROM lake_ddl_test.context_versions").collect()
    assert [tuple(v) for v in versions] == [(1, "2026-W19", 4)]
    rules = spark.sql("SELECT rule, tag_key FROM lake_ddl_test.context_rules ORDER BY rule").collect()
    assert [r["tag_key"] for r in rules] == [None, "Owner", "team", "Name"]
