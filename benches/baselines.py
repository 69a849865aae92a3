"""The baselines that benches/ingest.sh runs beside lake, on the same files.

    python benches/baselines.py duckdb narrow|wide OUT.parquet FILE...
    python benches/baselines.py chdb   narrow|wide OUT.parquet FILE...
    python benches/baselines.py python-json-load FILE...
    python benches/baselines.py python-ijson FILE...

Each engine gets the fairest strong form of the job: the input columns are declared, not
inferred (Prowler's `resources[].data.metadata` has keys that change type between findings,
which breaks inference in pyarrow and slows the others), two threads, ZSTD Parquet out.
"Narrow" is 9 columns (uid, check id, severity, status, account, region, first resource uid,
title, time); "wide" adds status detail, risk, remediation, compliance, categories, resource
type and name, and description. lake writes its full normalized schema (38 columns) in
every run, so it is compared with both.
"""

import json
import sys

NARROW = [
    ("uid", "finding_info.uid"),
    ("check_id", "metadata.event_code"),
    ("severity", "severity"),
    ("status_code", "status_code"),
    ("account_uid", "cloud.account.uid"),
    ("region", "cloud.region"),
    ("resource_uid", "resources[1].uid"),
    ("title", "finding_info.title"),
    ("time_dt", "time_dt"),
]
WIDE = NARROW + [
    ("status_detail", "status_detail"),
    ("risk_details", "risk_details"),
    ("remediation", "remediation.desc"),
    ("compliance", "unmapped.compliance"),
    ("categories", "unmapped.categories"),
    ("resource_type", "resources[1].type"),
    ("resource_name", "resources[1].name"),
    ("description", "finding_info.desc"),
]


def duckdb(width, out, files):
    import duckdb as ddb

    columns = {
        "finding_info": 'STRUCT(uid VARCHAR, title VARCHAR, "desc" VARCHAR)',
        "metadata": "STRUCT(event_code VARCHAR)",
        "severity": "VARCHAR",
        "status_code": "VARCHAR",
        "cloud": "STRUCT(account STRUCT(uid VARCHAR), region VARCHAR)",
        "resources": "STRUCT(uid VARCHAR, name VARCHAR, type VARCHAR)[]",
        "time_dt": "VARCHAR",
    }
    if width == "wide":
        columns |= {
            "status_detail": "VARCHAR",
            "risk_details": "VARCHAR",
            "remediation": 'STRUCT("desc" VARCHAR)',
            "unmapped": "STRUCT(compliance MAP(VARCHAR, VARCHAR[]), categories VARCHAR[])",
        }
    cols = NARROW if width == "narrow" else WIDE
    quoted = [(name, path.replace(".desc", '."desc"')) for name, path in cols]
    select = ", ".join(f"{path} AS {name}" for name, path in quoted)
    con = ddb.connect()
    con.execute("SET threads = 2")
    con.execute(
        f"COPY (SELECT {select} FROM read_json($files, format = 'array', columns = $columns, "
        f"maximum_object_size = 268435456)) TO '{out}' (FORMAT parquet, COMPRESSION zstd)",
        {"files": files, "columns": columns},
    )
    return con.execute(f"SELECT count(*) FROM '{out}'").fetchone()[0]


def chdb(width, out, files):
    import chdb as ch

    structure = [
        "finding_info Tuple(uid String, title String, desc String)",
        "metadata Tuple(event_code String)",
        "severity String",
        "status_code String",
        "cloud Tuple(account Tuple(uid String), region String)",
        "resources Array(Tuple(uid String, name String, type String))",
        "time_dt String",
    ]
    if width == "wide":
        structure += [
            "status_detail String",
            "risk_details String",
            "remediation Tuple(desc String)",
            "unmapped Tuple(compliance Map(String, Array(String)), categories Array(String))",
        ]
    cols = NARROW if width == "narrow" else WIDE
    select = ", ".join(f"{path} AS {name}" for name, path in cols)
    source = " UNION ALL ".join(
        f"SELECT {select} FROM file('{f}', 'JSONEachRow', '{', '.join(structure)}')" for f in files
    )
    settings = "max_threads = 2, output_format_parquet_compression_method = 'zstd'"
    ch.query(f"INSERT INTO FUNCTION file('{out}', 'Parquet') {source} SETTINGS {settings}")
    return int(str(ch.query(f"SELECT count() FROM file('{out}', 'Parquet')", "CSV")).strip())


def python_json_load(files):
    """The approach lake replaces: load each file, keep FAIL, normalize a few fields."""
    rows = []
    for path in files:
        with open(path) as f:
            for x in json.load(f):
                if x.get("status_code") != "FAIL":
                    continue
                r = x.get("resources") or [{}]
                rows.append({
                    "uid": x["finding_info"]["uid"], "check": x["metadata"]["event_code"],
                    "severity": x.get("severity"),
                    "account": x.get("cloud", {}).get("account", {}).get("uid"),
                    "region": x.get("cloud", {}).get("region"), "resource": r[0].get("uid"),
                    "title": x["finding_info"].get("title"), "time": x.get("time_dt"),
                })
    return len(rows)


def python_ijson(files):
    """Streaming Python (yajl2 C backend): count FAIL findings."""
    import ijson

    fails = 0
    for path in files:
        with open(path, "rb") as f:
            for status in ijson.items(f, "item.status_code"):
                fails += status == "FAIL"
    return fails


def main(argv):
    tool = argv[0]
    if tool in ("duckdb", "chdb"):
        width, out, files = argv[1], argv[2], argv[3:]
        n = (duckdb if tool == "duckdb" else chdb)(width, out, files)
    elif tool == "python-json-load":
        n = python_json_load(argv[1:])
    elif tool == "python-ijson":
        n = python_ijson(argv[1:])
    else:
        sys.exit(f"unknown baseline {tool}")
    print(n)


if __name__ == "__main__":
    main(sys.argv[1:])
