"""`manage.py wait_for_db`: wait, bounded, until the database accepts connections.

The migrate Job runs it first: in a fresh dev cluster PostgreSQL (or even its DNS name) is
often not ready when the Job's pod starts, and a failed first pod makes `tilt ci` fail and
costs skaffold a back-off. It says what it waits for, and why, each time the reason changes.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.db.utils import OperationalError


class Command(BaseCommand):
    help = "Wait until the default database accepts connections (at most --timeout seconds)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--timeout", type=float, default=120.0, help="give up after this many seconds")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between attempts")

    def handle(self, *args, timeout: float, interval: float, **options) -> None:
        if timeout <= 0 or interval <= 0:
            raise CommandError("--timeout and --interval must be positive numbers of seconds")
        connection = connections["default"]
        where = f"{connection.settings_dict.get('HOST') or 'localhost'}:{connection.settings_dict.get('PORT') or 5432}"
        started, last_reason, attempts = time.monotonic(), None, 0
        while True:
            attempts += 1
            try:
                connection.ensure_connection()
                break
            except OperationalError as error:
                reason = (str(error).strip().splitlines() or ["no reason given"])[0]
                connection.close()
            waited = time.monotonic() - started
            if waited + interval > timeout:
                raise CommandError(f"the database at {where} is still not ready after {waited:.0f}s: {reason}")
            if reason != last_reason:
                self.stdout.write(f"waiting for the database at {where}: {reason}", ending="\n")
                self.stdout.flush()
                last_reason = reason
            time.sleep(interval)
        connection.close()
        self.stdout.write(f"the database at {where} is ready ({attempts} attempts, {time.monotonic() - started:.1f}s)")
