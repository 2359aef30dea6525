"""`manage.py migrate`, one at a time per database: a PostgreSQL advisory lock around Django's own command.

Two migrates can meet: the migrate Job and the dev server, which applies what a reload brings
(devserver.py), or two pods of a re-created Job. Unlocked, both apply the same migration and
one fails on the rows the other wrote. Locked, the second waits, then finds nothing left to do.
"""

from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import connections

# Any fixed 64-bit key: what the lock is known by in pg_locks (objid), for this project's migrations.
LOCK_KEY = 7_263_311_020_651


class Command(DjangoMigrate):
    def handle(self, *args, **options):
        connection = connections[options["database"]]
        if connection.vendor != "postgresql":
            return super().handle(*args, **options)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
        try:
            return super().handle(*args, **options)
        finally:
            if connection.is_usable():  # else the session, and its lock with it, is gone already
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
