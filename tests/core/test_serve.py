"""`cvas serve`, the production server, as an operator starts it: the lookup index is built once
before the workers fork, lookups answer from it, and the rate limits are counted across workers."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.core.test_settings import PRODUCTION

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")),
    reason="runs its own SQLite server once, in the SQLite pass of the suite",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:  # noqa: S310 - our own local server
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_serve_builds_the_lookup_index_before_its_workers_and_limits_across_them(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION and k != "DATABASE_URL"}
    env["CVAS_VAR_DIR"] = str(tmp_path)
    for step in (["migrate", "-v0"], ["seed"], ["demo"]):
        done = subprocess.run(
            [sys.executable, "-m", "cvas.manage", *step],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    secrets = json.loads((tmp_path / "dev-secrets.json").read_text())
    port = _free_port()
    server_env = {
        **env,
        **PRODUCTION,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "PII_ENCRYPTION_KEY": secrets.get("PII_ENCRYPTION_KEY", PRODUCTION["PII_ENCRYPTION_KEY"]),
        "PII_HMAC_KEY": secrets.get("PII_HMAC_KEY", PRODUCTION["PII_HMAC_KEY"]),
        "CVAS_ACCESS_LOG": "/dev/null",
        "CVAS_RATE_LIMIT_LOOKUP": "5/m",
    }
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cvas.manage",
                "serve",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "3",
            ],
            env=server_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if _get(base + "/api/v1/ping")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.3)
        started = log.read_text()
        assert "lookup index: " in started
        built = int(started.split("lookup index: ")[1].split(" prefixes")[0].replace(",", ""))
        assert built > 0  # the demo licensees' gateways and customers
        if time.time() % 60 > 50:  # the six requests inside one fixed one-minute window
            time.sleep(61 - time.time() % 60)
        answers = [_get(f"{base}/api/v1/lookup/ip/14.1.104.7") for _ in range(5)]
        assert all(status == 200 for status, _, _ in answers)
        assert json.loads(answers[0][2])["prefix"] == "14.1.104.0/24"
        # the sixth in the minute, whichever worker takes it
        status, headers, body = _get(f"{base}/api/v1/lookup/ip/14.1.104.7")
        assert status == 429 and int(headers["Retry-After"]) >= 1
        assert json.loads(body)["error"]["code"] == "rate_limited"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(30)
