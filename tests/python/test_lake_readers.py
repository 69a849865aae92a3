"""A lake written by `lake ingest` from the fixtures, read by engines nobody here wrote.

DuckDB (hive partitioning) and pyarrow must see the documented schema (`lake schema --json`,
generated from the same definition the writer uses), the same row counts as the manifest,
and Parquet types that Athena and Spark read: microsecond UTC timestamps, no INT96, no
unsigned integers, standard 3-level lists and maps.
"""

import json
import os
import subprocess
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parents[2]
LAKE_BIN = os.environ.get("LAKE_BIN", str(Path.home() / ".cache/lake-target/debug/lake"))


def lake(*args, check=True):
    return subprocess.run([LAKE_BIN, *args], capture_output=True, text=True, check=check)


@pytest.fixture(scope="session")
def lake_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("lake")
    sources = [str(ROOT / "fixtures/runs"), str(ROOT / "fixtures/providers")]
    result = lake("ingest", *sources, "--lake", str(out), "--format", "json", check=False)
    # fixtures/runs holds one truncated account file: exit 1, the others land.
    assert result.returncode == 1, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert any(r["status"] == "partial" for r in records)
    assert sum(r["status"] == "succeeded" for r in records) >= 8
    return out


@pytest.fixture(scope="session")
def manifest(lake_dir):
    result = lake("scans", "--lake", str(lake_dir), "--format", "json")
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture(scope="session")
def schema():
    return json.loads(lake("schema", "--json").stdout)


def arrow_to_sql(t: pa.DataType) -> str:
    """Spells an Arrow type the way `lake schema --json` does."""
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "string"
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_int32(t):
        return "int"
    if pa.types.is_int64(t):
        return "bigint"
    if pa.types.is_date32(t):
        return "date"
    if pa.types.is_timestamp(t):
        assert t.unit == "us" and t.tz == "UTC", t
        return "timestamp"
    if pa.types.is_map(t):
        return f"map<{arrow_to_sql(t.key_type)},{arrow_to_sql(t.item_type)}>"
    if pa.types.is_list(t):
        return f"array<{arrow_to_sql(t.value_type)}>"
    if pa.types.is_struct(t):
        fields = ",".join(f"{f.name}:{arrow_to_sql(f.type)}" for f in t)
        return f"struct<{fields}>"
    raise AssertionError(f"type no engine contract allows: {t}")


@pytest.mark.parametrize("table", ["findings", "scans"])
def test_pyarrow_sees_the_documented_schema(lake_dir, schema, table):
    dataset = ds.dataset(lake_dir / table, format="parquet", partitioning="hive")
    got = [(f.name, arrow_to_sql(f.type), f.nullable) for f in dataset.schema if f.name != "dt"]
    want = [(c["name"], c["type"], c["nullable"]) for c in schema[table]]
    assert got == want
    assert dataset.schema.field("dt") is not None


@pytest.mark.parametrize("table", ["findings", "scans"])
def test_parquet_types_are_ones_athena_and_spark_read(lake_dir, table):
    for path in sorted((lake_dir / table).glob("dt=*/*.parquet")):
        meta = pq.ParquetFile(path).metadata
        for i in range(meta.num_columns):
            col = meta.schema.column(i)
            assert col.physical_type != "INT96", (path, col.path)
            logical = str(col.logical_type)
            assert "isSigned=false" not in logical, (path, col.path)
            if col.physical_type == "INT64" and "Timestamp" in logical:
                assert "timeUnit=microseconds" in logical and "isAdjustedToUTC=true" in logical
        rg = meta.row_group(0)
        expected = {"findings": "SNAPPY", "scans": "UNCOMPRESSED"}[table]
        assert {rg.column(i).compression for i in range(rg.num_columns)} == {expected}
        # Standard 3-level lists: <name>.list.element
        paths = {meta.schema.column(i).path for i in range(meta.num_columns)}
        if table == "findings":
            assert "categories.list.element" in paths
            assert "compliance.key_value.key" in paths


def test_duckdb_reads_the_partitions_with_manifest_counts(lake_dir, manifest):
    con = duckdb.connect()
    glob = str(lake_dir / "findings/*/*.parquet")
    rows = con.execute(
        f"""select filename, any_value(dt), count(*) as n,
                   count(*) filter (where status_code = 'FAIL') as fail,
                   count(*) filter (where muted) as muted
            from read_parquet('{glob}', hive_partitioning = true, hive_types = {{'dt': 'VARCHAR'}},
                              filename = true)
            group by all order by all"""
    ).fetchall()
    landed = {str(Path(r[0]).relative_to(lake_dir)): (r[2], r[3], r[4]) for r in rows}
    expected = {
        m["findings_path"]: (m["findings"], m["fail"], m["muted"])
        for m in manifest
        if m["findings"] > 0
    }
    assert landed == expected
    # dt is the partition string, the scan's UTC date, and matches the manifest's scan time.
    for path, dt, *_ in rows:
        assert f"/dt={dt}/" in path
    for m in manifest:
        if m["findings_path"]:
            assert f"dt={m['scan_time'][:10]}/" in m["findings_path"]


def test_duckdb_answers_compliance_questions(lake_dir):
    con = duckdb.connect()
    glob = str(lake_dir / "findings/*/*.parquet")
    frameworks = con.execute(
        f"""select count(distinct k) from (
              select unnest(map_keys(compliance)) as k from read_parquet('{glob}', hive_partitioning = true))"""
    ).fetchone()[0]
    assert frameworks > 5
    failing = con.execute(
        f"""select distinct unnest(compliance['CIS-3.0']) as requirement
            from read_parquet('{glob}', hive_partitioning = true)
            where status_code = 'FAIL' and not muted and compliance['CIS-3.0'] is not null
            order by 1"""
    ).fetchall()
    assert failing, "some CIS-3.0 requirement fails in the fixtures"


def test_finding_keys_recompute_in_sql(lake_dir):
    con = duckdb.connect()
    glob = str(lake_dir / "findings/*/*.parquet")
    mismatched = con.execute(
        f"""select count(*) from read_parquet('{glob}')
            where finding_key <> left(sha256(concat_ws(chr(31), provider, account_uid, region,
                                                       check_id, resource_uid, finding_uid)), 32)"""
    ).fetchone()[0]
    assert mismatched == 0


def test_every_resource_stays_queryable(lake_dir):
    con = duckdb.connect()
    glob = str(lake_dir / "findings/*/*.parquet")
    n_resources, n_findings = con.execute(
        f"select sum(len(resources)), count(*) from read_parquet('{glob}')"
    ).fetchone()
    assert n_resources >= n_findings
    first_is_primary = con.execute(
        f"select bool_and(resources[1].uid = resource_uid or resources[1].uid is null) from read_parquet('{glob}')"
    ).fetchone()[0]
    assert first_is_primary


def test_show_prints_the_raw_finding(lake_dir):
    con = duckdb.connect()
    glob = str(lake_dir / "findings/*/*.parquet")
    key, uid = con.execute(f"select finding_key, finding_uid from read_parquet('{glob}') order by 1 limit 1").fetchone()
    raw = lake("show", key, "--lake", str(lake_dir)).stdout
    assert json.loads(raw)["finding_info"]["uid"] == uid


def test_show_finds_a_finding_by_the_producers_uid_and_names_its_key(lake_dir):
    con = duckdb.connect()
    glob = str(lake_dir / "findings/*/*.parquet")
    key, uid = con.execute(
        f"select any_value(finding_key), finding_uid from read_parquet('{glob}') "
        "group by 2 having count(distinct finding_key) = 1 order by 2 limit 1").fetchone()
    r = subprocess.run([LAKE_BIN, "show", uid, "--lake", str(lake_dir)],
                       capture_output=True, text=True, check=True)
    assert json.loads(r.stdout)["finding_info"]["uid"] == uid
    assert f"is finding key {key}" in r.stderr
    missing = subprocess.run([LAKE_BIN, "show", "prowler-aws-no-such-uid", "--lake", str(lake_dir)],
                             capture_output=True, text=True)
    assert missing.returncode != 0 and "no finding with uid prowler-aws-no-such-uid" in missing.stderr


def test_show_all_prints_json_alone_and_says_where_each_came_from_on_stderr(lake_dir):
    con = duckdb.connect()
    glob = str(lake_dir / "findings/*/*.parquet")
    key, uid, copies = con.execute(
        f"select finding_key, any_value(finding_uid), count(*) from read_parquet('{glob}') "
        "group by 1 order by 3 desc, 1 limit 1").fetchone()
    r = subprocess.run([LAKE_BIN, "show", key, "--all", "--lake", str(lake_dir)],
                       capture_output=True, text=True, check=True)
    decoder, text, at, found = json.JSONDecoder(), r.stdout.strip(), 0, []
    while at < len(text):
        value, at = decoder.raw_decode(text, at)
        found.append(value)
        while at < len(text) and text[at].isspace():
            at += 1
    assert len(found) == copies and all(f["finding_info"]["uid"] == uid for f in found)
    assert r.stderr.count("lake: run ") == copies
