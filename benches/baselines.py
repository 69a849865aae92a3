"""The peers that benches/ingest.sh runs beside lake, on the same files.

    python benches/baselines.py duckdb|chdb|polars narrow|wide snappy|zstd OUT.parquet INPUT
    python benches/baselines.py python-json-load INPUT
    python benches/baselines.py python-ijson INPUT

INPUT is one scan file or a directory of them (every `*.ocsf.json` below). Each peer gets its
fairest strong form of the job:
- the input columns are declared, not inferred (Prowler's `resources[].data.metadata` has
  keys that change type between findings, which breaks inference in pyarrow and slows the
  others);
- one glob over the input where the engine reads globs (DuckDB `read_json`, chDB `file()`
  with `**`); Polars reads no JSON array through a glob, so it reads each file and
  concatenates;
- two threads, the output codec of the run (the same as lake's);
- only the job in the timed region: the interpreter's start, the import and the row count
  of the output (read from its footer afterwards) are outside it.
Prints one JSON object: `rows`, and `job_s`, the job's own seconds.

"Narrow" is 9 columns (uid, check id, severity, status, account, region, first resource uid,
title, time); "wide" adds status detail, risk, remediation, compliance, categories, resource
type and name, and description. lake writes its full normalized schema (38 columns) in every
run, so it is compared with both.

DataFusion (Python) is not among the peers: its JSON reader reads newline-delimited JSON
only, and Prowler writes a JSON array; converting first would put a second job in its timed
region.
"""

import json
import os
import sys
import time
from pathlib import Path

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
THREADS = 2


def files_of(input_):
    p = Path(input_)
    return sorted(str(f) for f in p.rglob("*.ocsf.json")) if p.is_dir() else [str(p)]


def glob_of(input_):
    p = Path(input_)
    return f"{p}/**/*.ocsf.json" if p.is_dir() else str(p)


def duckdb(width, codec, out, input_):
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
    con.execute(f"SET threads = {THREADS}")
    started = time.perf_counter()
    con.execute(
        f"COPY (SELECT {select} FROM read_json($glob, format = 'array', columns = $columns, "
        f"maximum_object_size = 268435456)) TO '{out}' (FORMAT parquet, COMPRESSION {codec})",
        {"glob": glob_of(input_), "columns": columns},
    )
    return time.perf_counter() - started


def chdb(width, codec, out, input_):
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
    settings = (f"max_threads = {THREADS}, "
                f"output_format_parquet_compression_method = '{codec}'")
    started = time.perf_counter()
    ch.query(
        f"INSERT INTO FUNCTION file('{out}', 'Parquet') SELECT {select} "
        f"FROM file('{glob_of(input_)}', 'JSONEachRow', '{', '.join(structure)}') "
        f"SETTINGS {settings}"
    )
    return time.perf_counter() - started


def polars(width, codec, out, input_):
    import polars as pl

    text = pl.String
    schema = {
        "finding_info": pl.Struct({"uid": text, "title": text, "desc": text}),
        "metadata": pl.Struct({"event_code": text}),
        "severity": text,
        "status_code": text,
        "cloud": pl.Struct({"account": pl.Struct({"uid": text}), "region": text}),
        "resources": pl.List(pl.Struct({"uid": text, "name": text, "type": text})),
        "time_dt": text,
    }
    if width == "wide":
        schema |= {
            "status_detail": text,
            "risk_details": text,
            "remediation": pl.Struct({"desc": text}),
            "unmapped": pl.Struct({"categories": pl.List(text)}),
        }

    def column(path):
        head, *rest = path.split(".")
        if head == "resources[1]":
            e = pl.col("resources").list.first()
        else:
            e = pl.col(head)
        for field in rest:
            e = e.struct.field(field)
        return e

    cols = NARROW if width == "narrow" else WIDE
    # Polars reads no map type: the compliance map is left out of its wide projection.
    cols = [(n, p) for n, p in cols if n != "compliance"]
    started = time.perf_counter()
    frames = [pl.read_json(f, schema=schema) for f in files_of(input_)]
    frame = pl.concat(frames).select([column(p).alias(n) for n, p in cols])
    frame.write_parquet(out, compression=codec)
    return time.perf_counter() - started


def python_json_load(input_):
    """The approach lake replaces: load each file, keep FAIL, normalize a few fields."""
    rows = []
    started = time.perf_counter()
    for path in files_of(input_):
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
    return len(rows), time.perf_counter() - started


def python_ijson(input_):
    """Streaming Python (yajl2 C backend): count FAIL findings."""
    import ijson

    fails = 0
    started = time.perf_counter()
    for path in files_of(input_):
        with open(path, "rb") as f:
            for status in ijson.items(f, "item.status_code"):
                fails += status == "FAIL"
    return fails, time.perf_counter() - started


def main(argv):
    tool = argv[0]
    if tool in ("duckdb", "chdb", "polars"):
        width, codec, out, input_ = argv[1:5]
        if tool == "polars":
            os.environ["POLARS_MAX_THREADS"] = str(THREADS)
        job = {"duckdb": duckdb, "chdb": chdb, "polars": polars}[tool]
        seconds = job(width, codec, out, input_)
        # Counted after the timed region, from the output's footer.
        import pyarrow.parquet as pq

        rows = pq.read_metadata(out).num_rows
    elif tool == "python-json-load":
        rows, seconds = python_json_load(argv[1])
    elif tool == "python-ijson":
        rows, seconds = python_ijson(argv[1])
    else:
        sys.exit(f"unknown baseline {tool}")
    print(json.dumps({"rows": rows, "job_s": round(seconds, 4)}))


if __name__ == "__main__":
    main(sys.argv[1:])
