"""What several test modules share: free loopback ports and a moto S3 server."""

import shutil
import socket
import subprocess
import time
from contextlib import contextmanager

import boto3


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"nothing answers on port {port}")


@contextmanager
def moto_server(log_dir):
    """A moto server (S3, SES, STS, ...) on a free loopback port, logging to `log_dir`;
    yields (env, s3): the AWS variables that point lake at it and a boto3 S3 client."""
    port = free_port()
    log = open(log_dir / "moto.log", "w")
    server = subprocess.Popen([shutil.which("moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(port, 30)
        env = {
            "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ALLOW_HTTP": "true",
        }
        s3 = boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test")
        yield env, s3
    finally:
        server.terminate()
        server.wait(10)
        log.close()
