"""DuckDB baseline for the query benchmark: runs lake's own SQL (queries/*.sql) on the same
Parquet files, with the same views and the same partition scope lake uses.

    python benches/queries_duckdb.py LAKE_DIR QUERY [--week W] [--check ID --days N --as-of D]
                                               [--weeks N]

Prints the rows returned and the in-process seconds (everything after the import: reading
the manifest, the views, the query). DuckDB reads what lake reads:
- the manifest from its snapshot (`_manifest/scans.parquet`, one object) rather than the
  5,200 one-row files of `scans/` (with --raw-manifest, those);
- the partition scope lake computes from the manifest: the dt partitions holding the landed
  scans of the weeks the query compares (and of the weeks a baseline is carried from), each
  from its compacted copy when it has one (the latest committed attempt, the parts its
  marker lists; lake also checks the copy's digest against the files, which is not redone
  here);
- what each findings file observed from the cells stored beside it (`_observed/`), as lake
  does for `scan_cells`; `repeated_keys` from the files whose cells say they repeat a key;
- the views lake computes once (the week's observations, the evidence views, the week's
  failing rows) made tables as lake does, when the stored changes below are not read;
- `first_failures` (whether a key failed before) from the lake's failure index, as lake
  reads it, or with --no-index from the view over the history;
- the week's changes (`finding_changes`) and both states' counts (`pair_counts`) from the
  objects lake stored for the pair (`_changes/`), as lake reads them (trend: for each of its
  pairs; lookback: the changes of its latest week, the verdicts), or with --no-stored
  computed by the views;
- a compacted partition's cells from the copy's `_cells` object, as lake reads them;
- for the risk queries (landing-zones, priorities, owners): lake's own rendering of the
  query for Athena (`lake query NAME --dialect athena`: every view a CTE, the parameters
  bound), transpiled to DuckDB by sqlglot, with the three CTEs lake reads from the objects
  it stored for the pair (the week's open failures, their lifecycle, both states' counts)
  reading those objects, as lake reads them (or with --no-stored computed by the CTEs). The
  rendering and the transpiling happen before the timed region. The bench lake has no
  business context: the context tables are empty, with the columns of a lake holding the
  fixtures' context (made with `lake context set`, also before the timed region).
"""

import argparse
import atexit
import datetime as dt
import json
import pathlib
import re
import shutil
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


def copy_of(lake, dt):
    """The parts of the compacted copy of partition `dt` lake reads (the latest committed
    attempt), or None."""
    root = lake / "_compact" / "findings" / f"dt={dt}"
    if not root.is_dir():
        return None
    committed = sorted(
        (d for d in root.iterdir() if (d / "_committed").exists()),
        key=lambda d: (d.name.split(".", 1)[1] if "." in d.name else ""),
    )
    if not committed:
        return None
    marker = json.loads((committed[-1] / "_committed").read_text())
    return [str(committed[-1] / p) for p in marker["parts"]]


def copy_cells(lake, dt):
    """The cells of the files of partition `dt` that its compacted copy holds, or None."""
    parts = copy_of(lake, dt)
    if not parts:
        return None
    cells = pathlib.Path(parts[0]).parent / "_cells"
    return str(cells) if cells.exists() else None


def use_stored_pairs(con, lake, pairs, views):
    """`views` (view -> stored name) read from the objects lake stored for every pair, if it
    stored them all (lake also checks their fingerprints, which is not redone here)."""
    dirs = [lake / "_changes" / f"week={w}" / f"against={a}" for w, a in pairs]
    if not pairs or any(a is None for _, a in pairs) or not all(
            (d / f"{n}.parquet").exists() for d in dirs for n in views.values()):
        return False
    for view, name in views.items():
        files = [str(d / f"{name}.parquet") for d in dirs]
        con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT * FROM read_parquet({files!r})")
    return True


def classified(con, lake, pairs, hive, no_stored):
    """The session of whole weeks classified, as lake opens it for `pairs` (week, against)."""
    con.executemany("INSERT INTO diff_pairs VALUES (?, ?)", pairs)
    # As lake: the partitions of the landed scans of the pairs' weeks, and of the earlier
    # scans a baseline is carried from (carried_baselines).
    dts = [r[0] for r in con.execute(
        "SELECT dt FROM landed_scans WHERE week IN (SELECT week FROM diff_pairs) "
        "OR week IN (SELECT against FROM diff_pairs) UNION "
        "SELECT s.dt FROM landed_scans s JOIN carried_baselines c "
        "ON s.week = c.base_week AND s.account_uid = c.scan_account ORDER BY 1").fetchall()]
    scoped(con, lake, dts, hive)
    # As lake: the changes and both states' counts from the objects lake stored for each
    # pair (lake also checks their fingerprint against the manifest and the files, which is
    # not redone here); then nothing reads the views below, which lake computes only when a
    # statement scans them. Else, as lake: the scan standing for each cell, the week's
    # observations, the standing checks and superseded cells, the evidence views and the
    # week's failing rows computed once.
    if no_stored or not use_stored_pairs(
            con, lake, pairs, {"finding_changes": "changes", "pair_counts": "counts"}):
        for name in ("standing_cells", "week_observations", "standing_checks",
                     "superseded_cells", "week_cells", "week_regions", "week_checks",
                     "week_services", "failing_now"):
            con.execute(f"CREATE TABLE {name}_t AS SELECT * FROM {name}")
            con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM {name}_t")


def scoped(con, lake, dts, hive):
    """`findings` over the partitions `dts` (their compacted copies where there are), and
    `scan_cells` / `repeated_keys` from the cells stored beside the files, as lake reads them."""
    selects = []
    raw = []
    for d in dts:
        parts = copy_of(lake, d)
        if parts:
            selects.append(f"SELECT *, '{d}' AS dt FROM read_parquet({parts!r}, "
                           "hive_partitioning=false, union_by_name=true)")
        else:
            raw += [str(p) for p in sorted((lake / "findings" / f"dt={d}").glob("*.parquet"))]
    if raw:
        selects.append(f"SELECT * FROM read_parquet({raw!r}, {hive}, union_by_name=true)")
    con.execute("CREATE OR REPLACE VIEW findings AS " + " UNION ALL BY NAME ".join(selects))
    # A compacted copy holds its files' cells (`_cells`, ordered by check); other partitions'
    # files each have theirs under `_observed/`.
    copied = [copy_cells(lake, d) for d in dts]
    cells = [str(p) for d, c in zip(dts, copied) if c is None
             for p in sorted((lake / "_observed" / f"dt={d}").glob("*.parquet"))]
    selects = [f"SELECT * EXCLUDE (file), '{d}' AS dt FROM read_parquet('{c}', hive_partitioning=false)"
               for d, c in zip(dts, copied) if c is not None]
    if cells:
        selects.append(f"SELECT * FROM read_parquet({cells!r}, {hive})")
    con.execute("CREATE TABLE stored_cells AS " + " UNION ALL BY NAME ".join(selects))
    con.execute("CREATE OR REPLACE TABLE scan_cells_t AS SELECT dt, source_uri, run_id, provider, "
                "account_uid, region, check_id, service, findings FROM stored_cells")
    con.execute("CREATE OR REPLACE VIEW scan_cells AS SELECT * FROM scan_cells_t")
    con.execute(
        "CREATE OR REPLACE TABLE repeated_keys_t AS SELECT dt, source_uri, run_id, check_id, "
        "finding_key, max(source_offset) AS kept_offset FROM findings "
        "WHERE source_uri IN (SELECT source_uri FROM stored_cells WHERE repeated > 0) "
        "GROUP BY ALL HAVING count(*) > 1")
    con.execute("CREATE OR REPLACE VIEW repeated_keys AS SELECT * FROM repeated_keys_t")


RISK_QUERIES = ("landing-zones", "priorities", "owners")


def bind_findings_to_one_file(con, lake, hive):
    """`findings` with the columns of one findings file and no rows: what views are bound
    against until the query's scope is known (binding each view against the whole history,
    5,200 files, cost DuckDB seconds per view)."""
    one = next((lake / "findings").glob("*/*.parquet"))
    con.execute(f"CREATE OR REPLACE VIEW findings AS SELECT * FROM read_parquet('{one}', {hive}) LIMIT 0")


def risk_query(a, lake):
    """A risk query as described above; returns (rows, seconds of the timed region)."""
    import os
    import subprocess
    import tempfile

    import sqlglot
    from sqlglot import exp

    lake_bin = a.lake_bin or os.environ["LAKE_BIN"]
    sql = subprocess.run(
        [lake_bin, "query", a.query, "--week", a.week, "--dialect", "athena", "--lake", str(lake)],
        capture_output=True, text=True, check=True).stdout
    snapshot = lake / "_manifest" / "scans.parquet"
    weeks = [r[0] for r in duckdb.sql(
        f"SELECT DISTINCT week FROM read_parquet('{snapshot}') ORDER BY 1").fetchall()]
    against = max((w for w in weeks if w < a.week), default=None)
    pair = lake / "_changes" / f"week={a.week}" / f"against={against}"
    stored = {"open_findings": "open", "finding_lifecycle": "lifecycle", "pair_counts": "counts",
              "finding_changes": "changes"}
    use = not a.no_stored and all((pair / f"{n}.parquet").exists() for n in stored.values())
    statements = []
    for tree in sqlglot.parse(sql, read="athena"):
        if tree is None:
            continue
        if use:
            for cte in tree.find_all(exp.CTE):
                if cte.alias in stored:
                    cte.set("this", sqlglot.parse_one(
                        f"SELECT * FROM read_parquet('{pair / stored[cte.alias]}.parquet')"))
        statements.append(tree.sql(dialect="duckdb"))
    context = pathlib.Path(tempfile.mkdtemp(prefix="lake-context-"))
    atexit.register(shutil.rmtree, context, ignore_errors=True)
    subprocess.run([lake_bin, "context", "set", str(ROOT / "fixtures/context/context.yaml"),
                    "--lake", str(context)], capture_output=True, check=True)
    hive = "hive_partitioning=true, hive_types={'dt': VARCHAR}"
    t0 = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"SET threads={a.threads}")
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"CREATE TABLE scans AS SELECT * FROM read_parquet('{snapshot}')")
    # (read by the CTEs the stored objects stand in for: else only bound)
    if use:
        bind_findings_to_one_file(con, lake, hive)
    else:
        con.execute(f"CREATE VIEW findings AS SELECT * FROM read_parquet('{lake}/findings/*/*.parquet', {hive})")
    for table in ("versions", "accounts", "rules"):
        con.execute(f"CREATE VIEW context_{table} AS SELECT * FROM "
                    f"read_parquet('{context}/context/{table}/*.parquet') LIMIT 0")
    rows = sum(len(con.execute(s).fetchall()) for s in statements)
    return rows, time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lake")
    ap.add_argument("query")
    ap.add_argument("--week")
    ap.add_argument("--check")
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--weeks", type=int, default=12)
    ap.add_argument("--as-of")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-index", action="store_true", help="compute first_failures from the history")
    ap.add_argument("--no-stored", action="store_true", help="classify the week's changes rather than read lake's stored ones")
    ap.add_argument("--raw-manifest", action="store_true", help="read scans/ rather than the snapshot")
    ap.add_argument("--lake-bin", help="the lake build that renders a risk query (default: $LAKE_BIN)")
    a = ap.parse_args()
    lake = pathlib.Path(a.lake).resolve()
    if a.query in RISK_QUERIES:
        rows, seconds = risk_query(a, lake)
        print(f"{rows} rows {seconds:.3f} s")
        return 0
    t0 = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"SET threads={a.threads}")
    hive = "hive_partitioning=true, hive_types={'dt': VARCHAR}"
    snapshot = lake / "_manifest" / "scans.parquet"
    if snapshot.exists() and not a.raw_manifest:
        con.execute(f"CREATE TABLE scans AS SELECT * FROM read_parquet('{snapshot}')")
    else:
        con.execute(f"CREATE TABLE scans AS SELECT * FROM read_parquet('{lake}/scans/*/*.parquet', {hive})")
    # A manifest written before lake read other producers has no source_product: null, as
    # lake reads it.
    columns = [r[0] for r in con.execute("DESCRIBE scans").fetchall()]
    if "source_product" not in columns:
        con.execute("ALTER TABLE scans ADD COLUMN source_product VARCHAR")
    con.execute(f"CREATE VIEW findings_history AS SELECT * FROM read_parquet('{lake}/findings/*/*.parquet', {hive})")
    # The views and the week list, before findings is scoped.
    con.execute("CREATE TABLE diff_pairs (week VARCHAR, against VARCHAR)")
    bind_findings_to_one_file(con, lake, hive)
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
        classified(con, lake, [(a.week, against)], hive, a.no_stored)
    elif a.query == "compliance":
        params = {"week": a.week, "framework": ""}
        # As lake: the week's partitions, and the compliance counts lake stored for the
        # week's pair when they are there (then nothing reads the findings).
        against = max((w for w in weeks if w < a.week), default=None)
        dts = [r[0] for r in con.execute(
            "SELECT DISTINCT dt FROM landed_scans WHERE week = ? ORDER BY 1", [a.week]).fetchall()]
        scoped(con, lake, dts, hive)
        stored = lake / "_changes" / f"week={a.week}" / f"against={against}" / "compliance.parquet"
        if against is not None and stored.exists() and not a.no_stored:
            con.execute(f"CREATE OR REPLACE VIEW compliance_week AS SELECT * FROM read_parquet('{stored}')")
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
        scoped(con, lake, dts, hive)
        # As lake: what diff says of the latest week (the verdicts) from the pair's stored
        # changes, when it stored them.
        pair = con.execute("SELECT week, against FROM diff_pairs").fetchall()
        if not a.no_stored:
            use_stored_pairs(con, lake, pair, {"finding_changes": "changes"})
    elif a.query == "trend":
        params = {}
        # As lake: the last --weeks weeks with data, each against the week before it, their
        # counts and changes from the objects lake stored for each pair.
        last = weeks[-a.weeks:]
        pairs = [(w, max((x for x in weeks if x < w), default=None)) for w in last]
        classified(con, lake, pairs, hive, a.no_stored)
    names = {"summary": ["summary_scope", "summary_counts", "summary_checks", "summary_sources",
                         "summary_sample"]}
    rows = 0
    for name in names.get(a.query, [a.query]):
        rows += len(run(con, (QUERIES / f"{name}.sql").read_text(), params))
    print(f"{rows} rows {time.perf_counter() - t0:.3f} s")


if __name__ == "__main__":
    sys.exit(main())
