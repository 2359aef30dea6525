"""The dev loop's PostgreSQL, for `invoke db.*`: found, checked to be the loop's own, and changed by SQL.

Only a namespace whose web runs with DEVSERVER_MIGRATE=1 (set by k8s/overlays/dev alone) on a local
cluster (tasks/devloop/targets.py) is the loop's: anything else is refused before one statement runs.
Snapshots are databases in the same server, copied with CREATE DATABASE ... TEMPLATE (seconds, no volume
snapshot). The working database is replaced by building its successor under another name first and
swapping the names, so an error or Ctrl+C part-way leaves the old data, never none.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from invoke.exceptions import Exit

from tasks.devloop import targets
from tasks.paths import tool

SNAPSHOT_NAME = re.compile(r"[a-z0-9][a-z0-9_]{0,29}")
SNAPSHOT_MARK = "__snapshot__"  # <database>__snapshot__<name>
INCOMING, OUTGOING = "__incoming", "__outgoing"
TERMINATE_WAIT_MS = 5000  # pg_terminate_backend(pid, timeout) waits for each connection to end


def quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class Snapshot:
    name: str
    size: str
    taken: str


@dataclass(frozen=True)
class LoopDatabase:
    command: str  # e.g. db.reset, for the one-line errors
    context: str
    namespace: str
    env: dict[str, str]
    database: str

    def kubectl(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        scope = ["--namespace", self.namespace] if self.namespace else []
        return subprocess.run(
            [tool("kubectl"), "--context", self.context, *scope, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def sql(self, *statements: str, database: str = "postgres", timeout: float = 300) -> str:
        """Each statement in its own transaction (CREATE/ALTER DATABASE refuse a block), stopping at the first
        error, in the postgres pod as its superuser; their output. Exit with PostgreSQL's message on an error."""
        argv = [
            "exec",
            "statefulset/postgres",
            "-c",
            "postgres",
            "--",
            "psql",
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-At",
            "-d",
            database,
        ]
        for statement in statements:
            argv += ["-c", statement]
        ran = self.kubectl(*argv, timeout=timeout)
        if ran.returncode != 0:
            lines = [line for line in ran.stderr.splitlines() if line.strip() and "Defaulted container" not in line]
            raise Exit(f"{self.command}: {lines[-1] if lines else f'psql exited with {ran.returncode}'}", code=1)
        return ran.stdout

    def databases(self) -> set[str]:
        return set(self.sql("SELECT datname FROM pg_database").split())

    def _closed(self, name: str) -> list[str]:
        """Statements that keep everyone out of NAME and end its connections (the app's, workers', beat's)."""
        return [
            f"ALTER DATABASE {quoted(name)} ALLOW_CONNECTIONS false",
            f"SELECT count(pg_terminate_backend(pid, {TERMINATE_WAIT_MS})) FROM pg_stat_activity "
            f"WHERE datname = {literal(name)} AND pid <> pg_backend_pid()",
        ]

    def recover(self) -> None:
        """Finish or undo a replacement an earlier run left half-done (interrupted between two statements)."""
        present = self.databases()
        outgoing, incoming = self.database + OUTGOING, self.database + INCOMING
        if self.database not in present and outgoing in present:
            self.sql(f"ALTER DATABASE {quoted(outgoing)} RENAME TO {quoted(self.database)}")
            present = self.databases()
        statements = [f"DROP DATABASE IF EXISTS {quoted(name)}" for name in (outgoing, incoming) if name in present]
        statements.append(f"ALTER DATABASE {quoted(self.database)} ALLOW_CONNECTIONS true")
        self.sql(*statements)

    def replace(self, template: str | None) -> None:
        """The working database becomes an empty one (template None) or a copy of TEMPLATE."""
        self.recover()
        incoming, outgoing = self.database + INCOMING, self.database + OUTGOING
        copy = f" TEMPLATE {quoted(template)}" if template else ""
        self.sql(f"CREATE DATABASE {quoted(incoming)}{copy}")
        try:
            self.sql(
                *self._closed(self.database),
                f"ALTER DATABASE {quoted(self.database)} RENAME TO {quoted(outgoing)}",
                f"ALTER DATABASE {quoted(incoming)} RENAME TO {quoted(self.database)}",
                f"DROP DATABASE {quoted(outgoing)}",
            )
        finally:
            self.recover()

    def snapshot_database(self, name: str) -> str:
        """The database holding snapshot NAME (a name checked_name accepted)."""
        return f"{self.database}{SNAPSHOT_MARK}{name}"

    def snapshots(self) -> list[Snapshot]:
        prefix = self.database + SNAPSHOT_MARK
        rows = self.sql(
            "SELECT json_agg(json_build_object('name', datname, 'size', pg_size_pretty(pg_database_size(datname)), "
            "'taken', coalesce(shobj_description(oid, 'pg_database'), ''))) FROM pg_database "
            f"WHERE starts_with(datname, {literal(prefix)})"
        )
        found = json.loads(rows.strip() or "null") or []
        return sorted(
            (Snapshot(row["name"].removeprefix(prefix), row["size"], row["taken"]) for row in found),
            key=lambda snapshot: snapshot.name,
        )

    def snapshot(self, name: str) -> None:
        """A copy of the working database as it is now; the app is cut off for as long as the copy takes."""
        target = self.snapshot_database(name)
        if target in self.databases():
            raise Exit(f"{self.command}: snapshot {name} exists: pick another name (invoke db.snapshots lists them)", 1)
        self.recover()
        taken = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        try:
            self.sql(
                *self._closed(self.database),
                f"CREATE DATABASE {quoted(target)} TEMPLATE {quoted(self.database)}",
                f"COMMENT ON DATABASE {quoted(target)} IS {literal(taken)}",
            )
        finally:
            self.sql(f"ALTER DATABASE {quoted(self.database)} ALLOW_CONNECTIONS true")

    def restore(self, name: str) -> None:
        source = self.snapshot_database(name)
        if source not in self.databases():
            have = ", ".join(snapshot.name for snapshot in self.snapshots()) or "none yet"
            raise Exit(f"{self.command}: no snapshot {name} (have: {have}); take one with invoke db.snapshot NAME", 1)
        self.replace(source)


def checked_name(command: str, name: str) -> str:
    if not SNAPSHOT_NAME.fullmatch(name or ""):
        raise Exit(
            f"{command}: snapshot name {name!r} is not 1-30 lowercase letters, digits or _ (starting with a letter "
            "or digit), e.g. before_migration",
            code=2,
        )
    return name


def _loop_config(command: str, where: str, kubectl) -> dict[str, str]:
    """The data of the ConfigMaps web takes its environment from; Exit when there is no web."""
    found = kubectl("get", "deployment", "web", "-o", "json")
    if found.returncode != 0:
        raise Exit(f"{command}: no web Deployment in {where}: start the dev loop (./bin/up) or pass its --namespace", 1)
    spec = json.loads(found.stdout)["spec"]["template"]["spec"]
    names = [
        source["configMapRef"]["name"]
        for container in spec.get("containers", [])
        for source in container.get("envFrom", [])
        if "configMapRef" in source
    ]
    data: dict[str, str] = {}
    for name in names:
        got = kubectl("get", "configmap", name, "-o", "jsonpath={.data}")
        if got.returncode == 0 and got.stdout.strip():
            data.update(json.loads(got.stdout))
    return data


def find(command: str, namespace: str = "") -> LoopDatabase:
    """The loop's database, or Exit with one line when the context or namespace is not the dev loop's."""
    target, why = targets.find(namespace)
    if target is None:
        raise Exit(f"{command}: {why}: db.* works only on the dev loop's own cluster", code=1)
    env = {**os.environ, **target.env}
    loop = LoopDatabase(command, target.context, namespace, env, "")
    where = f"namespace {namespace or 'default'} of context {target.context}"
    if _loop_config(command, where, loop.kubectl).get("DEVSERVER_MIGRATE") != "1":
        raise Exit(
            f"{command}: {where} is not the dev loop's (its web lacks DEVSERVER_MIGRATE=1, which only "
            "k8s/overlays/dev sets): refused; pass the loop's --namespace",
            code=1,
        )
    named = loop.kubectl("exec", "statefulset/postgres", "-c", "postgres", "--", "printenv", "POSTGRES_DB")
    if named.returncode != 0 or not named.stdout.strip():
        raise Exit(f"{command}: {where} runs no PostgreSQL of the dev overlay (statefulset/postgres): refused", code=1)
    return replace(loop, database=named.stdout.strip())
