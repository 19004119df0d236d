"""Lookup and distribution (issue 4), each figure against a reference measured in the same run, on
1 million mixed IPv4/IPv6 prefixes (nested and adjacent) drawn from Pakistan's real blocks:

- single lookups through our path (answering the registration) vs a frozen pytricia (per family);
- a batch of 100,000 addresses, parsing included, vs a loop over that pytricia;
- memory per prefix (payload included) vs pytricia; index build for 10 million prefixes;
- HTTP: GET /api/v1/lookup/ip/... vs the no-op GET /api/v1/ping, same `cvas serve`, wrk;
- the cidr export vs ipaddress.collapse_addresses; the mmdb export vs mmdb-writer (time, peak
  memory), and 10 million prefixes to mmdb within 4 GB.

Sizes can be lowered for a quick look: BENCH_LOOKUP_N (1,000,000), BENCH_LOOKUP_BIG (10,000,000),
BENCH_MMDB_REF_N (prefixes given to mmdb-writer; default all of BENCH_LOOKUP_N).
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench import lookup_data as data
from bench.harness import Figure, best_of

N = int(os.environ.get("BENCH_LOOKUP_N", 1_000_000))
BIG = int(os.environ.get("BENCH_LOOKUP_BIG", 10_000_000))
MMDB_REF_N = int(os.environ.get("BENCH_MMDB_REF_N", N))
# Which parts to run (all by default): lookup,cidr,memory,build,mmdb,mmdb-big,http
PARTS = set(
    (os.environ.get("BENCH_LOOKUP_PARTS") or "lookup,cidr,memory,build,mmdb,mmdb-big,http").split(
        ","
    )
)
QUERIES = 100_000
ROOT = Path(__file__).resolve().parents[1]


def isolated(kind: str, n: int, timeout: int = 1800) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.lookup_data", kind, str(n)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run() -> Iterator[Figure]:
    """Figures as they are measured (the harness prints each at once)."""
    import pytricia

    from cvas.lookup import cidr
    from cvas.lookup.index import PrefixIndex

    p = data.prefixes(N)
    cols = data.columns(p)
    index = PrefixIndex(cols)
    qs = data.queries(p, QUERIES)
    if "lookup" in PARTS:
        t4, t6 = pytricia.PyTricia(32), pytricia.PyTricia(128)
        for i, s in enumerate(data.texts(p, range(N)), 1):
            (t6 if ":" in s else t4)[s] = i
        t4.freeze()
        t6.freeze()

        def ref_one(s: str, t4: Any = t4, t6: Any = t6) -> Any:
            return (t6 if ":" in s else t4).get(s)

        mismatches = sum((index.lookup(s) is None) != (ref_one(s) is None) for s in qs[:20_000])
        lookup = index.lookup

        def ours_single() -> None:
            for s in qs:
                lookup(s)

        def ref_single() -> None:
            for s in qs:
                ref_one(s)

        ours, ref = best_of(ours_single, 3), best_of(ref_single, 3)
        yield (
            Figure(
                name=f"single lookup, {N:,} prefixes (our path, answering the registration)",
                value=QUERIES / ours,
                unit="lookups/s",
                reference_name="frozen pytricia per family (prefix only)",
                reference=QUERIES / ref,
                target=0.8,
                note=f"{ours / QUERIES * 1e6:.2f} vs {ref / QUERIES * 1e6:.2f} us; {mismatches} disagreements in 20,000",
            )
        )
        rows_of = index.batch_rows  # each address's registration (its row), parsing included
        ours = best_of(lambda: rows_of(qs), 3)
        ref = best_of(lambda: [ref_one(s) for s in qs], 3)
        yield (
            Figure(
                name=f"batch of {QUERIES:,} addresses, parsing included",
                value=QUERIES / ours,
                unit="lookups/s",
                reference_name="a loop over pytricia",
                reference=QUERIES / ref,
                target=2.0,
                note=f"{ours * 1e3:.0f} ms vs {ref * 1e3:.0f} ms",
            )
        )
        del t4, t6

    if "cidr" in PARTS:
        # cidr: the same list, as ipaddress networks for the reference (their creation not timed).
        nets4 = [
            ipaddress.IPv4Network(s)
            for s, v in zip(data.texts(p, range(N)), p["version"].tolist(), strict=True)
            if v == 4
        ]
        nets6 = [
            ipaddress.IPv6Network(s)
            for s, v in zip(data.texts(p, range(N)), p["version"].tolist(), strict=True)
            if v == 6
        ]

        def ours_cidr() -> list[str]:
            out: list[str] = []
            for version in (4, 6):
                sel = cols.version == version
                out += cidr.lines(
                    version,
                    *cidr.aggregate_family(version, cols.hi[sel], cols.lo[sel], cols.plen[sel]),
                )
            return out

        def ref_cidr() -> list[str]:
            return [str(n) for n in ipaddress.collapse_addresses(nets4)] + [
                str(n) for n in ipaddress.collapse_addresses(nets6)
            ]

        same = ours_cidr() == ref_cidr()
        ours, ref = best_of(ours_cidr, 2), best_of(ref_cidr, 1)
        yield (
            Figure(
                name=f"cidr export of {N:,} prefixes (aggregated, as text)",
                value=N / ours,
                unit="prefixes/s",
                reference_name="ipaddress.collapse_addresses on the same list",
                reference=N / ref,
                target=1.0,
                note=f"{ours:.2f} s vs {ref:.2f} s; identical output: {same}",
            )
        )

    if "memory" in PARTS:
        o, r = isolated("ours-index", N), isolated("pytricia", N)
        yield (
            Figure(
                name=f"index memory per prefix, payload included ({N:,})",
                value=o["mb"] * 2**20 / N,
                unit="bytes",
                reference_name="pytricia, int values",
                reference=r["mb"] * 2**20 / N,
                higher_is_better=False,
                target=1 / 1.2,
                note=f"resident memory added; our arrays hold {o['nbytes'] / N:.0f} bytes/prefix; target at most 1.2x pytricia's",
            )
        )
    if "build" in PARTS:
        o, r = isolated("ours-index", BIG), isolated("pytricia", BIG)
        yield (
            Figure(
                name=f"index build, {BIG:,} prefixes",
                value=o["seconds"],
                unit="s",
                reference_name="pytricia inserts",
                reference=r["seconds"],
                higher_is_better=False,
                note=f"target under 60 s: {'met' if o['seconds'] < 60 else 'NOT MET'}; memory {o['mb']:.0f} MB vs {r['mb']:.0f} MB",
            )
        )

    if "mmdb" in PARTS:
        o, r = isolated("ours-mmdb", N), isolated("mmdb-writer", MMDB_REF_N, timeout=3600)
        yield (
            Figure(
                name=f"mmdb export of {N:,} prefixes: time",
                value=o["seconds"] * MMDB_REF_N / N,
                unit="s",
                reference_name=f"mmdb-writer ({MMDB_REF_N:,} prefixes)",
                reference=r["seconds"],
                higher_is_better=False,
                note=f"{o['bytes'] / 2**20:.0f} MB file vs {r['bytes'] / 2**20:.0f} MB",
            )
        )
        yield (
            Figure(
                name=f"mmdb export of {N:,} prefixes: peak memory",
                value=o["peak_mb"],
                unit="MB",
                reference_name=f"mmdb-writer ({MMDB_REF_N:,} prefixes)",
                reference=r["peak_mb"],
                higher_is_better=False,
                note="whole process, from after the data was generated (the columns held in both)",
            )
        )
    if "mmdb-big" in PARTS:
        o = isolated("ours-mmdb", BIG)
        yield (
            Figure(
                name=f"mmdb export of {BIG:,} prefixes: peak memory",
                value=o["peak_mb"],
                unit="MB",
                reference_name="the 4 GB budget",
                reference=4096,
                higher_is_better=False,
                target=1.0,
                note=f"{o['seconds']:.0f} s, {o['bytes'] / 2**20:.0f} MB file; read back by maxminddb: {o['check']}",
            )
        )
    if "http" in PARTS:
        yield from http_figures()


# -- HTTP --------------------------------------------------------------------------------------------


def _load_registry(n: int) -> list[str]:
    """n registrations straight into the scratch database (as an import would), one organisation."""
    from django.db import connection, transaction
    from django.utils import timezone

    from cvas.accounts.models import Organisation

    org = Organisation.objects.create(name="Bench Holdings Pvt Ltd", kind="company")
    p = data.prefixes(n)
    strings = data.texts(p, range(n))
    now = timezone.now()
    sql = (
        "INSERT INTO registry_endpointregistration (handle, kind, source, registrant_id, holder_type, "
        "holder_name, network, ip_version, prefix_len, range_start, range_end, family, status, "
        "status_changed_at, content_hash, created_by_label, is_demo, created_at, updated_at) "
        "VALUES (%s, 'prefix', 'portal', %s, %s, %s, %s, %s, %s, %s, %s, 'BENCH', 'active', %s, %s, 'bench', false, %s, %s)"
    )
    batch = []
    with transaction.atomic(), connection.cursor() as cur:
        for i, s in enumerate(strings):
            net = ipaddress.ip_network(s)
            individual = i % 10 == 0
            batch.append(
                (
                    f"EP-{i:014d}",
                    org.pk,
                    "individual" if individual else "organisation",
                    "" if individual else f"Holder {i % 2000} Pvt Ltd",
                    s,
                    net.version,
                    net.prefixlen,
                    net.network_address.packed,
                    net.broadcast_address.packed,
                    now,
                    b"",
                    now,
                    now,
                )
            )
            if len(batch) == 50_000:
                cur.executemany(sql, batch)
                batch = []
        if batch:
            cur.executemany(sql, batch)
    return data.queries(p, 2000)


def _wrk(url: str, script: str | None, seconds: int, connections: int = 16) -> dict[str, float]:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def ms(label: str) -> float:
        m = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)\b", out)
        assert m is not None, out
        return float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]

    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {
        "rps": rps,
        "p50": ms("50"),
        "p99": ms("99"),
        "non2xx": float(non2xx.group(1)) if non2xx else 0.0,
    }


def http_figures() -> list[Figure]:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install -y wrk; `make bench` does it)")
    from django.db import connections

    addresses = _load_registry(N)
    connections.close_all()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "bench-" + "x" * 60,
        "ALLOWED_HOSTS": "127.0.0.1",
        "AUDIT_HMAC_KEY": "A" * 43 + "=",
        "PII_ENCRYPTION_KEY": "B" * 43 + "=",
        "PII_HMAC_KEY": "C" * 43 + "=",
        "SECURE_SSL_REDIRECT": "0",
        "CVAS_ACCESS_LOG": "/dev/null",
        # wrk is one anonymous client: the public's rate limit (60 a minute) is lifted, as it is
        # for a network operator's key (identified callers are unlimited by default)
        "CVAS_RATE_LIMIT_LOOKUP": "off",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "cvas.manage", "serve", "--bind", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: stopped with all its workers
    )
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)  # noqa: SIM115
    with script:
        script.write("local a = {" + ",".join(f'"{x}"' for x in addresses) + "}\n")
        script.write(
            "local i = 0\nrequest = function()\n  i = i % #a + 1\n"
            '  return wrk.format("GET", "/api/v1/lookup/ip/" .. a[i])\nend\n'
        )
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:  # up when the no-op answers
            try:
                with urllib.request.urlopen(base + "/api/v1/ping", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(1)
        else:
            raise SystemExit("cvas serve did not answer within 300 s")
        # `cvas serve` builds the index before forking its workers; warm them up all the same.
        _wrk(base + "/", script.name, 40, connections=10)
        _wrk(base + "/api/v1/ping", None, 5)
        runs = {"lookup": [], "ping": []}
        for _ in range(2):
            runs["ping"].append(_wrk(base + "/api/v1/ping", None, 10))
            runs["lookup"].append(_wrk(base + "/", script.name, 10))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(30)
        Path(script.name).unlink(missing_ok=True)
    best = {k: max(v, key=lambda r: r["rps"]) for k, v in runs.items()}
    lk, pg = best["lookup"], best["ping"]
    return [
        Figure(
            name=f"HTTP GET /api/v1/lookup/ip/... ({N:,} prefixes, cvas serve, wrk -t2 -c16)",
            value=lk["rps"],
            unit="requests/s",
            reference_name="GET /api/v1/ping (no-op JSON), same server",
            reference=pg["rps"],
            target=0.85,
            note=(
                f"p50 {lk['p50']:.2f} ms, p99 {lk['p99']:.2f} ms vs p50 {pg['p50']:.2f} ms, "
                f"p99 {pg['p99']:.2f} ms; non-2xx (not registered) {lk['non2xx']:.0f}"
            ),
        )
    ]
