"""Crash consistency of `lake ingest`, on a local lake and on S3 (moto on loopback).

Specified here: whatever point an ingest is killed at, a reader never sees a partial object
or a manifest row that claims what is not there (every landed row's findings file exists,
holds exactly the row's count of findings, all from the row's source), and running the
ingest again converges to what a clean run gives (the same findings files, byte for byte,
the same manifest rows but their ingest times, the same answers to queries).

Two kinds of kills: deterministic ones at the two points where an ingest that replaces a
scan's findings is between two writes (`LAKE_CRASH_AT`, see lake_store::ingest), and a
bounded loop of SIGKILLs at random times. The replacing ingest reads a second version of
the same week (the same accounts and runs, half of each account's findings), so that a
stale manifest row would be visible as a wrong count or source.
"""

import io
import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from support import moto_server

ROOT = Path(__file__).resolve().parents[2]
LAKE_BIN = os.environ.get("LAKE_BIN", str(Path.home() / ".cache/lake-target/debug/lake"))
SYNTH_BIN = str(Path(LAKE_BIN).with_name("lake-synth"))
WEEK = "2026-W21"
KILLS = int(os.environ.get("LAKE_CRASH_KILLS", "12"))


def run(args, env=None, check=True):
    return subprocess.run(args, capture_output=True, text=True, check=check,
                          env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def versions(tmp_path_factory):
    """Two versions of one week of 12 accounts: `full`, and `half` (every other finding of
    each account file, at the same paths: the same (account, run), other findings)."""
    root = tmp_path_factory.mktemp("crash-sources")
    full = root / "full"
    run([SYNTH_BIN, "week", "--out", str(full), "--accounts", "12", "--total-mb", "24",
         "--seed", "7"])
    half = root / "half"
    for path in sorted(full.rglob("*.ocsf.json")):
        items = json.loads(path.read_bytes())
        out = half / path.relative_to(full)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(items[::2], indent=4))
    return full, half


# ---------------------------------------------------------------------------------------
# Reading a lake (local directory or S3) as a reader would.

class LocalLake:
    def __init__(self, path):
        self.path = Path(path)
        self.url = str(path)

    def keys(self):
        return sorted(str(p.relative_to(self.path)) for p in self.path.rglob("*") if p.is_file())

    def read(self, key):
        return (self.path / key).read_bytes()


class S3Lake:
    def __init__(self, s3, bucket, prefix):
        self.s3, self.bucket, self.prefix = s3, bucket, prefix
        self.url = f"s3://{bucket}/{prefix}"

    def keys(self):
        out = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix + "/"):
            out += [o["Key"][len(self.prefix) + 1:] for o in page.get("Contents", [])]
        return sorted(out)

    def read(self, key):
        return self.s3.get_object(Bucket=self.bucket, Key=f"{self.prefix}/{key}")["Body"].read()


def table(lake, key):
    return pq.read_table(io.BytesIO(lake.read(key)))


def check_invariants(lake, env=None):
    """What any reader may rely on, whatever point the last ingest was killed at."""
    keys = lake.keys()
    # Readers see only whole objects: every Parquet file outside _staging opens and reads.
    for key in keys:
        if key.endswith(".parquet") and not key.startswith("_staging/"):
            table(lake, key)
    rows = [r for key in keys if key.startswith("scans/") for r in table(lake, key).to_pylist()]
    for row in rows:
        if row["status"] == "failed":
            # A failed row claims nothing (an interrupted ingest's row among them).
            continue
        path = row["findings_path"]
        assert path in keys, f"{row['account_uid']}: row claims {path}, which is not there"
        findings = table(lake, path)
        assert findings.num_rows == row["findings"], (
            f"{path}: the row claims {row['findings']} findings, the file holds "
            f"{findings.num_rows}")
        sources = set(findings.column("source_uri").to_pylist())
        assert sources == {row["source_uri"]}, f"{path}: from {sources}, row says {row['source_uri']}"
        # And the version it records is the file's.
        assert row["findings_size"] == len(lake.read(path)), (
            f"{path}: the row records {row['findings_size']} bytes, the file has "
            f"{len(lake.read(path))}")
    # And lake's own reader answers.
    run([LAKE_BIN, "query", "posture", "--week", WEEK, "--lake", lake.url, "--format", "json"],
        env=env)
    return rows


def state(lake, env=None):
    """What must be equal after a re-run and after a clean run: the findings files' bytes,
    the manifest rows but their ingest times and the store's ETags of the findings files,
    the week's diff."""
    keys = lake.keys()
    findings = {k: lake.read(k) for k in keys if k.startswith("findings/")}
    rows = sorted(
        (json.dumps({k: v for k, v in r.items() if k not in ("ingested_at", "findings_etag")}, default=str,
                    sort_keys=True)
         for k in keys if k.startswith("scans/") for r in table(lake, k).to_pylist()))
    diff = run([LAKE_BIN, "query", "diff", "--week", WEEK, "--lake", lake.url, "--format",
                "json"], env=env).stdout
    return findings, rows, diff


def ingest(lake, source, env=None, crash_at=None, check=True):
    extra = {"LAKE_CRASH_AT": crash_at} if crash_at else {}
    return run([LAKE_BIN, "ingest", str(source), "--lake", lake.url, "--force"],
               env={**(env or {}), **extra}, check=check)


def killed_at_random(lake, source, seconds, rng, env=None):
    """Starts an ingest and SIGKILLs it after a random time within `seconds`."""
    p = subprocess.Popen([LAKE_BIN, "ingest", str(source), "--lake", lake.url, "--force"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         env={**os.environ, **(env or {})})
    time.sleep(rng.uniform(0, seconds))
    p.send_signal(signal.SIGKILL)
    p.wait()
    return p.returncode


def crash_scenarios(make_lake, versions, env=None):
    full, half = versions
    # What a clean run gives: full, then half replacing it.
    clean = make_lake("clean")
    ingest(clean, full, env)
    ingest(clean, half, env)
    want = state(clean, env)

    # Killed between the two writes of a replacement, at both points.
    for point in ("row-marked", "findings-committed"):
        lake = make_lake(point)
        ingest(lake, full, env)
        died = ingest(lake, half, env, crash_at=point, check=False)
        assert died.returncode != 0, f"{point}: the ingest was not stopped"
        rows = check_invariants(lake, env)
        interrupted = [r for r in rows if (r["error"] or "").startswith("interrupted")]
        assert interrupted, f"{point}: no row says its ingest was interrupted"
        # The re-run converges.
        ingest(lake, half, env)
        check_invariants(lake, env)
        assert state(lake, env) == want, point

    # SIGKILL at random points, alternating the two versions, invariants after each.
    lake = make_lake("random")
    started = time.time()
    ingest(lake, full, env)
    seconds = max(0.05, time.time() - started)
    rng = random.Random(1234)
    killed_running = 0
    for i in range(KILLS):
        code = killed_at_random(lake, half if i % 2 == 0 else full, seconds * 1.2, rng, env)
        killed_running += code == -signal.SIGKILL
        check_invariants(lake, env)
    # Most kills hit a running ingest (the others found it done).
    assert killed_running >= KILLS // 2, killed_running
    ingest(lake, half, env)
    check_invariants(lake, env)
    assert state(lake, env) == want


def test_a_killed_ingest_never_shows_what_is_not_there_local(versions, tmp_path):
    crash_scenarios(lambda name: LocalLake(tmp_path / name), versions)


@pytest.fixture(scope="module")
def moto_s3(tmp_path_factory):
    with moto_server(tmp_path_factory.mktemp("moto")) as (env, s3):
        s3.create_bucket(Bucket="crash")
        yield env, s3


def test_a_killed_ingest_never_shows_what_is_not_there_s3(versions, moto_s3):
    env, s3 = moto_s3
    crash_scenarios(lambda name: S3Lake(s3, "crash", name), versions, env)
    # Uploads a kill cut short are not visible (checked above) and are left to the bucket's
    # lifecycle rule; the ones lake gave up itself were aborted.


def answers(lake, env=None):
    """The named queries' answers for the week: what a compaction must never change."""
    out = {}
    for name in ("diff", "posture", "summary"):
        out[name] = run([LAKE_BIN, "query", name, "--week", WEEK, "--lake", lake.url,
                         "--format", "json"], env=env).stdout
    out["trend"] = run([LAKE_BIN, "query", "trend", "--lake", lake.url, "--format", "json"],
                       env=env).stdout
    return out


def compacted(lake):
    """The committed copies: per partition, one cover, its parts byte for byte. (A cover's
    name digests the versions of the files it copies, which differ between two lakes.)"""
    keys = lake.keys()
    covers = [k.rsplit("/", 1)[0] for k in keys
              if k.startswith("_compact/") and k.endswith("/_committed")]
    dts = [c.split("/")[2] for c in covers]
    assert len(dts) == len(set(dts)), f"two committed covers of one partition: {covers}"
    return {(c.split("/")[2], k.rsplit("/", 1)[1]): lake.read(k)
            for c in covers for k in keys
            if k.startswith(c + "/") and not k.endswith("/_committed")}


def compaction_scenarios(make_lake, versions, env=None):
    full, _ = versions
    clean = make_lake("compact-clean")
    ingest(clean, full, env)
    want = answers(clean, env)
    started = time.time()
    run([LAKE_BIN, "compact", "--all", "--lake", clean.url], env=env)
    seconds = max(0.05, time.time() - started)
    assert compacted(clean), "the clean run compacted something"
    assert answers(clean, env) == want

    lake = make_lake("compact-random")
    ingest(lake, full, env)
    rng = random.Random(99)
    cut_short = 0
    for _ in range(KILLS):
        p = subprocess.Popen([LAKE_BIN, "compact", "--all", "--lake", lake.url],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env={**os.environ, **(env or {})})
        time.sleep(rng.uniform(0, seconds * 1.2))
        p.send_signal(signal.SIGKILL)
        p.wait()
        check_invariants(lake, env)
        # A compaction cut short leaves a part being written (in _staging/ locally, an
        # unfinished upload on S3) or parts without their marker.
        keys = lake.keys()
        copies = [k for k in keys if k.startswith("_compact/")]
        cut_short += (any(k.startswith("_staging/") for k in keys)
                      or any(k.rsplit("/", 1)[0] + "/_committed" not in copies for k in copies)
                      or p.returncode == -signal.SIGKILL)
        # A cover without its marker is never read: the answers stay those of the files.
        assert answers(lake, env) == want
    assert cut_short >= 1, "no kill cut a compaction short"
    run([LAKE_BIN, "compact", "--all", "--lake", lake.url], env=env)
    assert answers(lake, env) == want
    assert compacted(lake) == compacted(clean)


def test_a_killed_compaction_changes_no_answer_local(versions, tmp_path):
    compaction_scenarios(lambda name: LocalLake(tmp_path / name), versions)


def test_a_killed_compaction_changes_no_answer_s3(versions, moto_s3):
    env, s3 = moto_s3
    compaction_scenarios(lambda name: S3Lake(s3, "crash", name), versions, env)


def test_a_compaction_racing_an_ingest_changes_no_answer(versions, tmp_path):
    """`lake compact` and `lake ingest --force` of the same week at once, five times: a copy
    made of files the ingest then replaced is never read (its digest no longer matches),
    so the answers are always those of the files as they are."""
    full, half = versions
    want = {}
    for name, sources in (("full", [full]), ("half", [full, half])):
        clean = LocalLake(tmp_path / f"clean-{name}")
        for s in sources:
            ingest(clean, s)
        want[name] = answers(clean)
    lake = LocalLake(tmp_path / "racing")
    ingest(lake, full)
    for i in range(5):
        version, name = (half, "half") if i % 2 == 0 else (full, "full")
        procs = [
            subprocess.Popen([LAKE_BIN, "compact", "--all", "--lake", lake.url],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE),
            subprocess.Popen([LAKE_BIN, "ingest", str(version), "--lake", lake.url, "--force"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE),
        ]
        for p in procs:
            _, err = p.communicate(timeout=300)
            assert p.returncode == 0, err
        check_invariants(lake)
        assert answers(lake) == want[name], f"round {i}"
        run([LAKE_BIN, "compact", "--all", "--lake", lake.url])
        assert answers(lake) == want[name], f"round {i}, compacted"


def test_two_ingests_of_one_run_at_once_land_it_once(versions, tmp_path):
    """S3 delivers an event at least once, sometimes twice at the same moment: two
    processes ingest the same run at once (with --force, so that both really write). Each
    round ends with every landed row matching its file and the lake equal to one clean
    ingest's."""
    full, _ = versions
    clean = LocalLake(tmp_path / "clean")
    ingest(clean, full)
    want = state(clean)
    lake = LocalLake(tmp_path / "twice")
    for round_ in range(3):
        procs = [subprocess.Popen([LAKE_BIN, "ingest", str(full), "--lake", lake.url, "--force"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                 for _ in range(2)]
        for p in procs:
            _, err = p.communicate(timeout=300)
            assert p.returncode == 0, err
        check_invariants(lake)
        assert state(lake) == want, f"round {round_}"
