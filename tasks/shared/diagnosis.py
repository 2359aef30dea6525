"""Can the loop run on the shared cluster? Each step the loop takes, checked first, one line each with the fix:
the context reaches its cluster, the namespace is the developer's (or can be made theirs) and they may deploy
there, the registry accepts their push; then the local tools the build needs."""

from __future__ import annotations

from dataclasses import dataclass

from tasks.devloop import diagnosis as local
from tasks.devloop.diagnosis import Finding
from tasks.devloop.targets import Target
from tasks.shared import credentials, kube, namespace, registry_access
from tasks.shared.errors import SharedError
from tasks.shared.settings import Shared


@dataclass(frozen=True)
class Diagnosis:
    findings: list[Finding]
    target: Target | None
    kube: kube.Kube | None
    credentials: credentials.Credentials | None
    offline: bool


def _step(name: str, check) -> tuple[Finding, object]:
    try:
        line, value = check()
    except SharedError as error:
        return Finding(name, False, str(error)), None
    return Finding(name, True, line), value


def diagnose(shared: Shared, tilt: bool = False, offline: bool | None = None, database: bool = False) -> Diagnosis:
    """Each step `up --namespace` takes; with DATABASE (the doctor's), also a running loop's database there."""

    def reach():
        cluster = kube.connect(shared.context)
        return f"{cluster.context} answers", cluster

    def deploy_here():
        return namespace.check(cluster, shared.namespace, shared.developer), None

    def push():
        found = credentials.lookup(shared.registry_host)
        return registry_access.check_push(shared.registry, found), found

    context, cluster = _step("context", reach)
    ns = _step("namespace", deploy_here)[0] if cluster else Finding("namespace", False, "not checked: no cluster")
    pushed, found = _step("push", push)
    registry_line, offline = local.check_registry(offline)
    tool = local.check_versioned("tilt", ["tilt", "version"], local.MIN_TILT) if tilt else local.check_skaffold()
    findings = [context, ns, pushed, local.check_docker(), registry_line, local.check_kubectl()]
    findings += [f for f in (local.check_base(offline),) if f] + [tool]
    target = None
    if cluster is not None:
        plan = f"pushes to {shared.registry} with your Docker login; namespace {shared.namespace}"
        target = Target("shared", cluster.context, plan, shared.registry, namespace=shared.namespace)
        if database and ns.ok:
            findings += [f for f in (local.check_database(target, shared.namespace),) if f]
    return Diagnosis(findings, target, cluster, found, offline)


def report(shared: Shared, tilt: bool = False, offline: bool | None = None, database: bool = False) -> Diagnosis:
    """Print the lines; exit non-zero, naming what failed, unless the loop can run."""
    found = diagnose(shared, tilt, offline, database)
    local.conclude(found.findings)
    return found
