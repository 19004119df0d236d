"""What every benchmark shares: a Django set-up on a scratch database, timing, and the report line."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    reference_name: str
    reference: float
    higher_is_better: bool = True
    target: float | None = (
        None  # the ratio we aim for (ours / reference, or reference / ours for times)
    )
    note: str = ""

    @property
    def ratio(self) -> float:
        if self.reference == 0 or self.value == 0:
            return float("nan")
        return self.value / self.reference if self.higher_is_better else self.reference / self.value

    def line(self) -> str:
        verdict = ""
        if self.target is not None:
            verdict = f"  target >= {self.target:.2f}x: {'met' if self.ratio >= self.target else 'NOT MET'}"
        return (
            f"{self.name}: {self.value:,.2f} {self.unit} vs {self.reference_name}: {self.reference:,.2f} {self.unit}"
            f"  ratio {self.ratio:.2f}x{verdict}{('  (' + self.note + ')') if self.note else ''}"
        )


def setup_django(database_url: str | None = None) -> str:
    """Point Django at a scratch database (a temporary SQLite file unless a URL is given) and migrate."""
    scratch = tempfile.mkdtemp(prefix="cvas-bench-")
    os.environ["CVAS_VAR_DIR"] = scratch
    if database_url:
        os.environ["DATABASE_URL"] = _scratch_postgres(database_url)
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cvas.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return scratch


def _scratch_postgres(url: str) -> str:
    """A database of its own for this run, dropped at exit: benchmarks never touch real data."""
    import atexit
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    name = f"cvas_bench_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    atexit.register(drop)
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def best_of(fn: Callable[[], Any], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)
