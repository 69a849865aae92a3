"""DuckDB baseline for the query benchmark: runs lake's own SQL (queries/*.sql) on the same
Parquet files, with the same views and the same partition scope lake uses.

    python benches/queries_duckdb.py LAKE_DIR QUERY [--week W] [--check ID --days N --as-of D]

Prints the rows returned and the in-process seconds (view setup + query). The partition
scope is the one lake computes from the manifest: the dt partitions holding the landed scans
of the weeks the query compares (and of the weeks a baseline is carried from), with the
views lake computes once (the week's observations, repeated keys) made tables as lake does. `first_failures` (whether a key failed before) comes from the
lake's failure index, as lake reads it, or with --no-index from the view over the history.
"""

import argparse
import datetime as dt
import pathlib
import re
import sys
import time

import duckdb

ROOT = pathlib.Path(__file__).resolve().parent.parent
QUERIES = ROOT / "queries"


def statements(script):
    for s in script.split(";\n"):
        s = s.strip()
        if any(l.strip() and not l.strip().startswith("--") for l in s.splitlines()):
            yield s


def run(con, sql, params):
    code = "\n".join(l.split("--")[0] for l in sql.splitlines())  # parameters named in comments are not used
    used = {k: v for k, v in params.items() if re.search(r"\$" + k + r"\b", code)}
    return con.execute(sql, used).fetchall()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lake")
    ap.add_argument("query")
    ap.add_argument("--week")
    ap.add_argument("--check")
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--as-of")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-index", action="store_true", help="compute first_failures from the history")
    a = ap.parse_args()
    lake = pathlib.Path(a.lake).resolve()
    t0 = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"SET threads={a.threads}")
    hive = "hive_partitioning=true, hive_types={'dt': VARCHAR}"
    con.execute(f"CREATE TABLE scans AS SELECT * FROM read_parquet('{lake}/scans/*/*.parquet', {hive})")
    con.execute(f"CREATE VIEW findings_history AS SELECT * FROM read_parquet('{lake}/findings/*/*.parquet', {hive})")
    # The views and the week list, before findings is scoped.
    con.execute("CREATE TABLE diff_pairs (week VARCHAR, against VARCHAR)")
    con.execute("CREATE VIEW findings AS SELECT * FROM findings_history")
    views = (QUERIES / "views.sql").read_text() + ";\n" + (QUERIES / "changes.sql").read_text()
    # lake reads first_failures from the failure index it writes at ingest; DuckDB gets the
    # same rows from the same file (unless --no-index), instead of the view over the history.
    index = lake / "_index" / "first_failures.parquet"
    use_index = index.exists() and not a.no_index
    if use_index:
        con.execute(f"CREATE TABLE first_failures AS SELECT * FROM read_parquet('{index}')")
    for s in statements(views):
        if use_index and re.match(r"(--[^\n]*\n\s*)*CREATE VIEW first_failures\b", s):
            continue
        con.execute(s)
    weeks = [r[0] for r in con.execute("SELECT DISTINCT week FROM landed_scans ORDER BY 1").fetchall()]
    params = {}
    if a.query in ("diff", "posture", "summary"):
        against = max((w for w in weeks if w < a.week), default=None)
        params = {"week": a.week, "against": against, "sample": 50}
        con.execute("INSERT INTO diff_pairs VALUES (?, ?)", [a.week, against])
        # As lake: the partitions of the landed scans of both weeks, and of the earlier
        # scans a baseline is carried from (carried_baselines).
        dts = [r[0] for r in con.execute(
            "SELECT dt FROM landed_scans WHERE week IN (SELECT week FROM diff_pairs) "
            "OR week IN (SELECT against FROM diff_pairs) UNION "
            "SELECT s.dt FROM landed_scans s JOIN carried_baselines c "
            "ON s.week = c.base_week AND s.account_uid = c.scan_account ORDER BY 1").fetchall()]
        files = [str(p) for d in dts for p in sorted((lake / "findings" / f"dt={d}").glob("*.parquet"))]
        con.execute(f"CREATE OR REPLACE VIEW findings AS SELECT * FROM read_parquet({files!r}, {hive})")
        # As lake: the week's observations, the standing checks and superseded cells, the
        # repeated keys and the evidence views computed once.
        for name in ("week_observations", "standing_checks", "superseded_cells", "repeated_keys",
                     "week_cells", "week_regions", "week_checks", "week_services"):
            con.execute(f"CREATE TABLE {name}_t AS SELECT * FROM {name}")
            con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM {name}_t")
    elif a.query == "lookback":
        to = dt.date.fromisoformat(a.as_of)
        frm = to - dt.timedelta(days=a.days - 1)
        params = {"check": a.check, "from": str(frm), "to": str(to)}
        # As lake: the pair (latest week with data in the window, the week before it).
        con.execute(
            "INSERT INTO diff_pairs SELECT week, (SELECT max(week) FROM landed_scans "
            "WHERE week < w.week) FROM (SELECT max(week) AS week FROM landed_scans "
            "WHERE dt >= ? AND dt <= ?) w", [str(frm), str(to)])
        # As lake: the window's partitions and those of the pair's weeks (and of the weeks
        # a baseline is carried from); the views stay views, so the check filter reaches them.
        dts = [r[0] for r in con.execute(
            "SELECT dt FROM landed_scans WHERE dt >= ? AND dt <= ? UNION "
            "SELECT dt FROM landed_scans WHERE week IN (SELECT week FROM diff_pairs) "
            "OR week IN (SELECT against FROM diff_pairs) UNION "
            "SELECT s.dt FROM landed_scans s JOIN carried_baselines c "
            "ON s.week = c.base_week AND s.account_uid = c.scan_account ORDER BY 1",
            [str(frm), str(to)]).fetchall()]
        files = [str(p) for d in dts for p in sorted((lake / "findings" / f"dt={d}").glob("*.parquet"))]
        con.execute(f"CREATE OR REPLACE VIEW findings AS SELECT * FROM read_parquet({files!r}, {hive})")
    names = {"summary": ["summary_counts", "summary_scope", "summary_checks", "summary_sample"]}
    rows = 0
    for name in names.get(a.query, [a.query]):
        rows += len(run(con, (QUERIES / f"{name}.sql").read_text(), params))
    print(f"{rows} rows {time.perf_counter() - t0:.3f} s")


if __name__ == "__main__":
    sys.exit(main())
