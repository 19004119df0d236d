"""Run every benchmark module in bench/ on SQLite (and PostgreSQL when BENCH_DATABASE_URL or
TEST_DATABASE_URL is set) and print each figure with its ratio against its reference."""

from __future__ import annotations

import importlib
import os
import pkgutil
import subprocess
import sys
from pathlib import Path


def modules() -> list[str]:
    here = Path(__file__).parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))


def run_one(module: str, database_url: str | None) -> int:
    """Each benchmark in its own process: a clean Django set-up and honest peak-memory figures."""
    code = (
        "import sys; from bench.harness import setup_django; "
        f"setup_django({database_url!r}); "
        f"import bench.{module} as m; "
        "[print(f.line(), flush=True) for f in m.run()]"
    )
    return subprocess.call([sys.executable, "-c", code])


def main() -> int:
    selected = sys.argv[1:] or modules()
    databases: list[tuple[str, str | None]] = [("SQLite", None)]
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if url:
        databases.append(("PostgreSQL", url))
    failures = 0
    for label, database_url in databases:
        print(f"== benchmarks on {label} ==", flush=True)
        for module in selected:
            importlib.import_module(f"bench.{module}")  # fail early on a typo
            failures += run_one(module, database_url) != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
