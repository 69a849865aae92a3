"""S3 faults: `lake ingest` and `lake compact` against moto through a fault-injecting proxy on
loopback.

Specified here: with S3 answering some requests with 503 SlowDown or 500 InternalError and
cutting some connections in the middle of a request body, an ingest retries (with backoff)
and lands exactly what a clean run lands, and a compaction likewise; when S3 keeps failing
past the retries, the ingest fails with a clear error naming what it was writing, nothing
half-written is visible, and a run after S3 recovers converges to the clean state.
"""

import http.client
import io
import json
import os
import random
import re
import socket
import socketserver
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from support import free_port, moto_server

ROOT = Path(__file__).resolve().parents[2]
LAKE_BIN = os.environ.get("LAKE_BIN", str(Path.home() / ".cache/lake-target/debug/lake"))
SYNTH_BIN = str(Path(LAKE_BIN).with_name("lake-synth"))
WEEK = "2026-W21"


class Faults:
    """What the proxy does to each request: `rate` of them fail (503 SlowDown, 500
    InternalError, or the connection cut after half the body), seeded; `down` fails them all."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.rate = 0.0
        self.down = False
        self.deny_writes = False
        self.outage = None
        # A server restart that forgets the multipart uploads in flight (their parts and
        # ids), keeping the objects: armed, it happens right after the next part uploaded.
        self.restart_after_part = False
        self.uploads = set()
        self.forgotten = set()
        self.lock = threading.Lock()
        self.counts = {"requests": 0, "503": 0, "500": 0, "cut": 0, "403": 0, "404": 0}

    def outage_from(self, requests_from_now, seconds):
        """Every request fails for `seconds` from the `requests_from_now`-th on (counted by
        the proxy, so the outage lands inside the ingest whatever the machine's speed)."""
        with self.lock:
            self.outage = (self.counts["requests"] + requests_from_now, seconds, None)

    def pick(self, method):
        with self.lock:
            self.counts["requests"] += 1
            if self.outage:
                at, seconds, until = self.outage
                now = time.monotonic()
                if until is None and self.counts["requests"] >= at:
                    self.outage = (at, seconds, now + seconds)
                    until = now + seconds
                if until is not None:
                    if now < until:
                        self.counts["503"] += 1
                        return "503"
                    self.outage = None
            if self.down:
                self.counts["503"] += 1
                return "503"
            if self.deny_writes and method in ("PUT", "POST"):
                self.counts["403"] += 1
                return "403"
            if self.rng.random() >= self.rate:
                return None
            kind = self.rng.choice(["503", "500", "cut"])
            self.counts[kind] += 1
            return kind


def proxy(upstream_port, faults):
    """A threaded HTTP proxy to moto that injects `faults`. Returns (server, port)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def forward(self):
            length = int(self.headers.get("Content-Length") or 0)
            upload = re.search(r"uploadId=([^&]+)", self.path)
            upload = upload.group(1) if upload else None
            if upload in faults.forgotten:
                self.rfile.read(length)
                with faults.lock:
                    faults.counts["404"] += 1
                self.reply(404, "NoSuchUpload")
                return
            fault = faults.pick(self.command)
            if fault == "cut":
                # Half the body read, then the connection dropped without an answer.
                self.rfile.read(length // 2)
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            body = self.rfile.read(length) if length else b""
            if fault in ("503", "500", "403"):
                code, name = {"503": (503, "SlowDown"), "500": (500, "InternalError"),
                              "403": (403, "AccessDenied")}[fault]
                self.reply(code, name)
                return
            conn = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=60)
            headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            self.send_response(resp.status, resp.reason)
            for k, v in resp.getheaders():
                if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(k, v)
            # A HEAD's length is the object's, not that of its (empty) body.
            length = resp.getheader("Content-Length") if self.command == "HEAD" else None
            self.send_header("Content-Length", length or str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
            conn.close()
            created = re.search(rb"<UploadId>([^<]+)</UploadId>", data)
            with faults.lock:
                if self.command == "POST" and "uploads" in self.path and created:
                    faults.uploads.add(created.group(1).decode())
                if (self.command == "PUT" and upload and "partNumber=" in self.path
                        and faults.restart_after_part):
                    # The server restarts: every upload begun so far is gone.
                    faults.restart_after_part = False
                    faults.forgotten |= faults.uploads

        def reply(self, code, name):
            payload = (f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{name}</Code>"
                       f"<Message>injected</Message></Error>").encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = forward

    class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
        daemon_threads = True
        allow_reuse_address = True

    port = free_port()
    server = Server(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, port


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    with moto_server(tmp_path_factory.mktemp("moto")) as (moto_env, client):
        client.create_bucket(Bucket="faults")
        faults = Faults(seed=5)
        proxy_server, proxy_port = proxy(int(moto_env["AWS_ENDPOINT_URL"].rsplit(":", 1)[1]),
                                         faults)
        env = {**moto_env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{proxy_port}"}
        yield client, faults, env
        proxy_server.shutdown()


@pytest.fixture(scope="module")
def week(tmp_path_factory):
    out = tmp_path_factory.mktemp("faults-week")
    subprocess.run([SYNTH_BIN, "week", "--out", str(out), "--accounts", "8", "--total-mb", "30",
                    "--seed", "3"], check=True, capture_output=True)
    return out


def lake(args, env, check=True):
    out = subprocess.run([LAKE_BIN, *args], capture_output=True, text=True,
                         env={**os.environ, **env})
    assert not check or out.returncode == 0, f"lake {' '.join(args)}:\n{out.stdout}\n{out.stderr}"
    return out


def objects(client, prefix):
    out = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket="faults",
                                                                Prefix=prefix + "/"):
        for o in page.get("Contents", []):
            out[o["Key"][len(prefix) + 1:]] = client.get_object(
                Bucket="faults", Key=o["Key"])["Body"].read()
    return out


def landed(client, prefix):
    """The findings files and the manifest rows (but their ingest times and ETags) of a lake,
    every landed row checked against its file."""
    objs = objects(client, prefix)
    rows = []
    for key, body in objs.items():
        if key.startswith("scans/"):
            for r in pq.read_table(io.BytesIO(body)).to_pylist():
                if r["status"] != "failed":
                    t = pq.read_table(io.BytesIO(objs[r["findings_path"]]))
                    assert t.num_rows == r["findings"], key
                    assert r["findings_size"] == len(objs[r["findings_path"]]), key
                r.pop("ingested_at")
                # The store's ETag of the same bytes depends on how they were uploaded (one
                # PUT, or the parts of a multipart upload a retry may have taken instead).
                r.pop("findings_etag")
                rows.append(json.dumps(r, sort_keys=True, default=str))
    findings = {k: v for k, v in objs.items() if k.startswith("findings/")}
    for key, body in objs.items():
        if key.endswith(".parquet"):
            pq.read_table(io.BytesIO(body))  # whole objects only
    return findings, sorted(rows)


def test_retried_faults_land_what_a_clean_run_lands(s3, week):
    client, faults, env = s3
    faults.rate = 0.0
    lake(["ingest", str(week), "--lake", "s3://faults/clean"], env)
    want = landed(client, "clean")
    before = dict(faults.counts)
    faults.rate = 0.15
    out = lake(["ingest", str(week), "--lake", "s3://faults/flaky"], env)
    lake(["compact", "--all", "--lake", "s3://faults/flaky"], env)
    faults.rate = 0.0
    injected = {k: faults.counts[k] - before[k] for k in faults.counts}
    assert injected["503"] + injected["500"] + injected["cut"] >= 10, injected
    assert landed(client, "flaky") == want, out.stderr
    # The compacted copy answers as the partitions do.
    q = ["query", "diff", "--week", WEEK, "--format", "json"]
    assert (lake([*q, "--lake", "s3://faults/flaky"], env).stdout
            == lake([*q, "--lake", "s3://faults/clean"], env).stdout)
    print("faults injected:", injected)


def test_an_outage_mid_ingest_is_ridden_out(s3, week):
    client, faults, env = s3
    faults.rate = 0.0
    want = landed(client, "clean")
    # Every request fails for two seconds once the ingest is under way (from its 10th
    # request on).
    before = faults.counts["503"]
    faults.outage_from(10, 2.0)
    p = subprocess.Popen([LAKE_BIN, "ingest", str(week), "--lake", "s3://faults/outage"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env={**os.environ, **env})
    out, err = p.communicate(timeout=600)
    faults.outage = None
    assert faults.counts["503"] - before >= 3, "the outage hit requests"
    assert p.returncode == 0, out + err
    got = landed(client, "outage")
    assert got[0] == want[0], "the findings files differ"
    assert got[1] == want[1], (row_differences(got[1], want[1]), err)


def row_differences(got, want):
    """The fields in which manifest rows (JSON text, sorted) differ, row by row."""
    out = []
    for g, w in zip(got, want):
        g, w = json.loads(g), json.loads(w)
        out.append({k: (g.get(k), w.get(k)) for k in sorted(set(g) | set(w)) if g.get(k) != w.get(k)})
    return [d for d in out if d] or f"{len(got)} rows against {len(want)}"


def test_denied_writes_fail_clearly_and_a_later_run_converges(s3, week):
    client, faults, env = s3
    faults.rate = 0.0
    want = landed(client, "clean")
    faults.deny_writes = True
    try:
        out = lake(["ingest", str(week), "--lake", "s3://faults/denied"], env, check=False)
    finally:
        faults.deny_writes = False
    assert out.returncode != 0
    # Each source says what it could not write and why.
    failed = [line for line in out.stdout.splitlines() if "writing the lake" in line]
    assert len(failed) == 8, out.stdout
    assert all("findings/dt=2026-05-18/" in line and "403" in line for line in failed), failed
    # Nothing half-written is visible; a run once writes are allowed again lands it all.
    landed(client, "denied")
    lake(["ingest", str(week), "--lake", "s3://faults/denied"], env)
    assert landed(client, "denied") == want


def test_a_server_that_forgets_an_upload_mid_way_is_ridden_out(s3, tmp_path):
    """An S3 endpoint restarting in the middle of a multipart upload forgets it (a later
    part or the completion answers 404 NoSuchUpload): the source is written again, and the
    lake ends as a clean run's."""
    client, faults, env = s3
    faults.rate = 0.0
    # One account file whose findings file is over one 5 MiB part: a multipart upload.
    src = tmp_path / "big"
    src.mkdir()
    subprocess.run([SYNTH_BIN, "file", "--out",
                    str(src / "prowler-output-111122223333-20260518020000.ocsf.json"),
                    "--mb", "260", "--seed", "9"], check=True, capture_output=True)
    lake(["ingest", str(src), "--lake", "s3://faults/big-clean"], env)
    want = landed(client, "big-clean")
    assert any(len(body) > 5 << 20 for body in want[0].values()), "a multipart upload"
    faults.restart_after_part = True
    out = lake(["ingest", str(src), "--lake", "s3://faults/big-restarted"], env)
    assert not faults.restart_after_part and faults.forgotten, "the restart happened"
    assert faults.counts["404"] >= 1, "the upload was found forgotten"
    assert landed(client, "big-restarted") == want, out.stdout + out.stderr
