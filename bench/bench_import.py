"""Bulk import of endpoint registrations: 1 million CSV rows carved from Pakistan's real address
blocks (shared/data), parsed, validated and applied by the importer, against loading the same
rows, already computed, into the same table with its indexes and constraints: a plain psycopg
COPY and Django's bulk_create on PostgreSQL, a plain executemany in one transaction on SQLite.
Each measurement runs in its own process on a fresh scratch database; peak memory is that
process's ru_maxrss. BENCH_IMPORT_ROWS changes the row count (default 1,000,000)."""

from __future__ import annotations

import csv
import ipaddress
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.harness import Figure

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "1000000"))
MEMORY_LIMIT_MB = 500.0
HEADER = ["ref", "prefix", "holder_name", "holder_type", "action"]
# The columns a reference load writes: every NOT NULL column of the table, as the importer fills it.
READY = [
    "handle",
    "kind",
    "source",
    "licence_id",
    "registrant_id",
    "ref",
    "holder_type",
    "holder_name",
    "holder_name_encrypted",
    "network",
    "ip_version",
    "prefix_len",
    "range_start",
    "range_end",
    "family",
    "status",
    "status_changed_at",
    "content_hash",
    "created_by_label",
    "is_demo",
    "created_at",
    "updated_at",
]


def shared_data() -> Path:
    """shared/data beside the repository (../shared/data from the repository's root)."""
    root = Path(__file__).resolve().parents[1]
    data = (root / ".." / "shared" / "data").resolve()
    if not (data / "pk-ipv4.cidr").is_file() or not (data / "pk-ipv6.cidr").is_file():
        raise SystemExit(
            f"bench_import needs Pakistan's address blocks in {data} (pk-ipv4.cidr, pk-ipv6.cidr): "
            "the shared directory beside the repository is missing"
        )
    return data


def prefixes(n: int) -> Iterator[str]:
    """n distinct, non-overlapping prefixes: IPv4 /29s (at most 60 %) then IPv6 /64s."""
    data = shared_data()
    v4 = [ipaddress.ip_network(x) for x in (data / "pk-ipv4.cidr").read_text().split()]
    v6 = [ipaddress.ip_network(x) for x in (data / "pk-ipv6.cidr").read_text().split()]
    made = 0
    for block in v4:
        for sub in block.subnets(new_prefix=29) if block.prefixlen <= 29 else []:
            if made >= n * 0.6:
                break
            yield str(sub)
            made += 1
    iters = [b.subnets(new_prefix=64) for b in v6 if b.prefixlen <= 64]
    while made < n and iters:
        for it in list(iters):
            sub = next(it, None)
            if sub is None:
                iters.remove(it)
                continue
            yield str(sub)
            made += 1
            if made >= n:
                return


def write_files(folder: Path, licence_id: int, holder_id: int) -> tuple[Path, Path]:
    """The CSV the importer reads, and the same rows as final column values for the references."""
    from cvas.core import pii
    from cvas.core.netaddr import prefix_bounds
    from cvas.registry.validation import new_handle

    source = folder / "endpoints.csv"
    ready = folder / "ready.csv"
    now = "2026-01-01 00:00:00+00"
    with source.open("w", newline="") as f, ready.open("w", newline="") as g:
        w, r = csv.writer(f), csv.writer(g)
        w.writerow(HEADER)
        for i, prefix in enumerate(prefixes(ROWS)):
            individual = i % 10 == 0
            name = f"Subscriber {i}" if individual else f"Enterprise {i % 5000} Pvt Ltd"
            kind = "individual" if individual else "organisation"
            w.writerow([f"r{i}", prefix, name, kind, ""])
            net = ipaddress.ip_network(prefix)
            version, length, start, end = prefix_bounds(net)
            handle = new_handle()
            digest = pii.content_hash("prefix", prefix, kind, name, None, None)
            r.writerow(
                [
                    handle,
                    "prefix",
                    "licensee",
                    licence_id,
                    holder_id,
                    f"r{i}",
                    kind,
                    "" if individual else name,
                    "\\x" + pii.encrypt(name, purpose="person.name").hex() if individual else "",
                    prefix,
                    version,
                    length,
                    "\\x" + start.hex(),
                    "\\x" + end.hex(),
                    handle,
                    "active",
                    now,
                    "\\x" + digest.hex(),
                    "bench",
                    "false",
                    now,
                    now,
                ]
            )
    return source, ready


def _licence() -> tuple[int, int]:
    from cvas.core.actors import Actor
    from cvas.licensing.models import Licence
    from cvas.licensing.services import seed_public_record

    seed_public_record(actor=Actor.system("bench"))
    lic = Licence.objects.order_by("pk").first()
    assert lic is not None
    return lic.pk, lic.holder_id


def _ready_rows(path: Path, *, typed: bool) -> Iterator[list[Any]]:
    """The computed rows: with Python types (ints, datetimes) for the ORM, or for a raw SQLite
    insert as SQLite stores them (text), which is the faster reference."""
    import datetime as dt

    moment: Any = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) if typed else "2026-01-01 00:00:00"
    with path.open(newline="") as g:
        for row in csv.reader(g):
            for i in (8, 12, 13, 17):
                row[i] = bytes.fromhex(row[i][2:]) if row[i] else None
            if typed:
                for i in (3, 4, 10, 11):
                    row[i] = int(row[i])
            row[16] = row[20] = row[21] = moment
            row[19] = False
            yield row


# -- one measurement, in its own process ----------------------------------------------------------


def measure(kind: str, folder: str) -> None:
    from django.db import connection, transaction

    ids = _licence()
    source, ready = Path(folder) / "endpoints.csv", Path(folder) / "ready.csv"
    assert json.loads((Path(folder) / "ids.json").read_text()) == list(ids)
    lic_id = ids[0]
    start = time.perf_counter()
    if kind == "ours":
        from cvas.accounts.choices import StaffRole
        from cvas.accounts.principal import Principal
        from cvas.core.actors import Actor
        from cvas.licensing.models import Licence
        from cvas.registry import services

        p = Principal(
            user=None, staff_roles=frozenset(StaffRole.values), operator=Actor.system("bench")
        )
        run = services.import_start(
            principal=p, licence=Licence.objects.get(pk=lic_id), kind="endpoints"
        )
        start = time.perf_counter()
        with source.open("rb") as stream:
            run = services.import_execute(run=run, stream=stream)
        assert run.status == "succeeded" and run.created == ROWS, (
            run.status,
            run.message,
            run.errors[:3],
        )
    elif kind == "copy":
        with transaction.atomic(), connection.cursor() as cur:
            cols = ", ".join(READY)
            with (
                cur.cursor.copy(
                    f"COPY registry_endpointregistration ({cols}) FROM STDIN "
                    "(FORMAT csv, FORCE_NOT_NULL (holder_name))"
                ) as copy,
                ready.open("rb") as f,
            ):
                while chunk := f.read(1 << 16):
                    copy.write(chunk)
    elif kind == "bulk_create":
        from cvas.registry.models import EndpointRegistration

        with transaction.atomic():
            batch: list[EndpointRegistration] = []
            for row in _ready_rows(ready, typed=True):
                values = dict(zip(READY, row, strict=True))
                batch.append(EndpointRegistration(**values))
                if len(batch) >= 5000:
                    EndpointRegistration.objects.bulk_create(batch)
                    batch = []
            EndpointRegistration.objects.bulk_create(batch)
    elif kind == "executemany":
        marks = ", ".join("%s" for _ in READY)
        sql = f"INSERT INTO registry_endpointregistration ({', '.join(READY)}) VALUES ({marks})"
        with transaction.atomic(), connection.cursor() as cur:
            rows: list[list[Any]] = []
            for row in _ready_rows(ready, typed=False):
                rows.append(row)
                if len(rows) >= 5000:
                    cur.executemany(sql, rows)
                    rows = []
            cur.executemany(sql, rows)
    seconds = time.perf_counter() - start
    from cvas.registry.models import EndpointRegistration

    assert EndpointRegistration.objects.count() == ROWS
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak}))


def _spawn(kind: str, database_url: str | None, folder: str) -> dict[str, float]:
    code = (
        "from bench.harness import setup_django; "
        f"setup_django({database_url!r}); "
        f"from bench.bench_import import measure; measure({kind!r}, {folder!r})"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        cwd=str(Path(__file__).resolve().parents[1]),
    )
    if out.returncode != 0:
        raise RuntimeError(f"{kind} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def run() -> list[Figure]:
    from django.db import connection

    shared_data()
    # The files once, here: every measuring process starts from a fresh database seeded alike,
    # so the licence's ids written into the computed rows hold there too.
    folder = tempfile.mkdtemp(prefix="cvas-bench-import-")
    ids = _licence()
    write_files(Path(folder), *ids)
    (Path(folder) / "ids.json").write_text(json.dumps(list(ids)))
    ceiling = 0.0
    if connection.vendor == "postgresql":
        url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
        ours = _spawn("ours", url, folder)
        copy = _spawn("copy", url, folder)
        bulk = _spawn("bulk_create", url, folder)
        refs = [
            ("plain psycopg COPY of the computed rows", copy, 0.5),
            ("Django bulk_create of the computed rows", bulk, 5.0),
        ]
        # No loader writes these rows into this table (its indexes and exclusion constraint
        # maintained row by row) faster than COPY of rows already computed: COPY's own speed over
        # bulk_create is the ceiling of the second ratio.
        ceiling = bulk["seconds"] / copy["seconds"]
    else:
        ours = _spawn("ours", None, folder)
        many = _spawn("executemany", None, folder)
        refs = [("plain executemany of the computed rows, one transaction", many, 0.5)]
    vendor = connection.vendor
    figures = [
        Figure(
            name=f"import {ROWS:,} endpoint rows from CSV, parsed and validated ({vendor})",
            value=ROWS / ours["seconds"],
            unit="rows/s",
            reference_name=name,
            reference=ROWS / ref["seconds"],
            target=target,
            note=f"{ours['seconds']:.1f} s vs {ref['seconds']:.1f} s; reference peak {ref['peak_mb']:.0f} MB"
            + (
                f"; ceiling: COPY itself is {ceiling:.2f}x bulk_create"
                if name.startswith("Django")
                else ""
            ),
        )
        for name, ref, target in refs
    ]
    figures.append(
        Figure(
            name=f"import peak memory ({vendor})",
            value=ours["peak_mb"],
            unit="MB",
            reference_name="limit",
            reference=MEMORY_LIMIT_MB,
            higher_is_better=False,
            target=1.0,
        )
    )
    return figures
