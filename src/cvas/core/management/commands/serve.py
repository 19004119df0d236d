"""`cvas serve`: the production server (gunicorn), with static files collected and served by whitenoise."""

from __future__ import annotations

import os
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


def default_workers() -> int:
    cores = (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    )
    return 2 * cores + 1


class Command(BaseCommand):
    help = "Run the production web server (gunicorn; workers = 2 x cores + 1 by default)."

    def build_lookup_index(self) -> None:
        """Build the lookup index once, before gunicorn forks: every worker starts with it
        (shared, copy-on-write) and only catches up with the changes since, so that no request
        waits for a build. The database connection is closed before the fork."""
        from django.db import connections

        from cvas.lookup.runtime import RUNTIME

        started = time.monotonic()
        snap = RUNTIME.snapshot(background=False)
        connections.close_all()
        self.stdout.write(
            f"lookup index: {len(snap.index.cols):,} prefixes in {time.monotonic() - started:.1f} s"
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("CVAS_BIND", "127.0.0.1:8000"))
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("CVAS_WORKERS", 0)) or default_workers(),
        )
        parser.add_argument("--threads", type=int, default=int(os.environ.get("CVAS_THREADS", 1)))
        parser.add_argument("--timeout", type=int, default=60)
        parser.add_argument("--no-collectstatic", action="store_true")
        parser.add_argument(
            "--no-lookup-index",
            action="store_true",
            help="Do not build the lookup index before the workers start (each builds its own "
            "on first use instead).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_collectstatic"]:
            call_command("collectstatic", "--noinput", verbosity=0)
        from gunicorn.app.base import BaseApplication

        from cvas.config.wsgi import application

        if not options["no_lookup_index"]:
            self.build_lookup_index()

        config = {
            "bind": options["bind"],
            "workers": options["workers"],
            "threads": options["threads"],
            "timeout": options["timeout"],
            "accesslog": os.environ.get("CVAS_ACCESS_LOG", "-"),
            "errorlog": "-",
            "forwarded_allow_ips": os.environ.get("CVAS_FORWARDED_ALLOW_IPS", "127.0.0.1"),
            "worker_tmp_dir": "/dev/shm" if os.path.isdir("/dev/shm") else None,  # noqa: S108 - gunicorn heartbeat files in RAM
        }

        class Server(BaseApplication):  # type: ignore[misc]
            def load_config(self) -> None:
                for key, value in config.items():
                    if value is not None:
                        self.cfg.set(key, value)

            def load(self) -> Any:
                return application

        self.stdout.write(f"serving on http://{options['bind']} with {options['workers']} workers")
        Server().run()
