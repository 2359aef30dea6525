"""`invoke up --namespace` and `invoke down --namespace`: the dev loop in the developer's namespace on a shared
cluster, images through the team's registry. Everything is checked before anything is made (doctor.py); then the
namespace (first use), the pull secret, and the loop's command on the developer's own local ports."""

from __future__ import annotations

from tasks import ports
from tasks.cluster.progress import Progress
from tasks.devloop import loop, prepare
from tasks.devloop.phases import Phases
from tasks.devloop.supervise import Url
from tasks.devloop.targets import Target
from tasks.shared import diagnosis, kube, local_ports, namespace, pull_secret, skaffold_state
from tasks.shared.errors import SharedError
from tasks.shared.settings import Shared

SKAFFOLD_API = 50052  # skaffold's own default HTTP API port


def free_api_port() -> int:
    return local_ports.first_free(SKAFFOLD_API)


def skaffold_web(api: int) -> Url:
    """Where skaffold forwarded web, as its API on port API says (None until it has)."""
    return lambda: skaffold_state.web_url(api)


def start(
    shared: Shared, tilt: bool, offline: bool | None, debug: bool, web_port: int, phases: Phases, log: Progress
) -> tuple[list[str], dict[str, str], Target, Url]:
    """The loop's argv, environment, target and web's address, once the namespace and pull secret are in place."""
    checked = diagnosis.report(shared, tilt, offline)
    assert checked.kube and checked.target and checked.credentials  # the doctor has exited otherwise
    local = loop.LocalPorts(
        web=local_ports.given_or_free(web_port, ports.WEB, "web-port"),
        tilt_ui=local_ports.first_free(local_ports.TILT_UI),
        skaffold_api=free_api_port(),
    )
    prepare.engine(phases, log)
    prepare.base(checked.offline, phases, log)
    if namespace.ensure(checked.kube, shared.namespace, shared.developer):
        log(f"made {shared.namespace} your dev namespace (PodSecurity restricted, k8s/dev-namespace's quota)")
    pull_secret.install(checked.kube, shared.namespace, shared.registry_host, checked.credentials)
    log(f"{shared.namespace} pulls from {shared.registry_host} with your Docker login (Secret {pull_secret.NAME})")
    phases.done("cluster")
    argv, env = loop.command(checked.target, tilt, checked.offline, debug, local)
    if tilt:
        fixed = f"http://127.0.0.1:{local.web}/"
        return argv, env, checked.target, lambda: fixed
    return argv, env, checked.target, skaffold_web(local.skaffold_api)


def stop(shared: Shared, tilt: bool) -> tuple[list[str], dict[str, str], Target, kube.Kube]:
    """What removes the loop from the developer's namespace; refused for any namespace that is not theirs."""
    cluster = kube.connect(shared.context)
    labels = namespace.labels_of(cluster, shared.namespace)
    why = namespace.refusal(shared.namespace, labels, shared.developer)
    if why:
        raise SharedError(why)
    if labels is None:
        raise SharedError(f"namespace {shared.namespace} does not exist on {cluster.context}: nothing to remove")
    target = Target("shared", cluster.context, "", namespace=shared.namespace)
    argv, env = loop.delete_command(target, tilt)
    return argv, env, target, cluster
