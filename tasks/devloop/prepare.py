"""What `invoke up` readies before the loop starts, each step a timed phase: the Docker engine, the offline
base image, the cluster and the images its datastores pull.

The doctor has checked each of them first (diagnosis.report), so a step here only fails on something
that could not be known in advance, and nothing has been deployed by then.
"""

from __future__ import annotations

from invoke import Context

from tasks.cluster import lifecycle
from tasks.cluster.progress import ClusterError, Progress
from tasks.devloop import minikube, targets
from tasks.devloop.diagnosis import Diagnosis
from tasks.devloop.phases import Phases
from tasks.image import debian_base
from tasks.services.daemons import start_docker
from tasks.services.reach import docker_running


def engine(phases: Phases, log: Progress) -> None:
    if docker_running():
        log("the Docker engine answers")
    else:
        log("starting dockerd (its log: .state/dockerd.log)")
        start_docker()
        log("dockerd answers")
    phases.done("engine")


def base(offline: bool, phases: Phases, log: Progress) -> None:
    if offline:
        debian_base.ensure_base(log=log)  # a no-op when it exists; debootstrap's steps otherwise
    phases.done("base")


def cluster(c: Context, diagnosis: Diagnosis, phases: Phases, log: Progress) -> targets.Target:
    """The cluster the loop will use, started if none runs; the test cluster's registry gets the datastores' images."""
    target = diagnosis.target
    if target is None and diagnosis.starter == "minikube":
        log("starting minikube")
        c.run(" ".join(minikube.MINIKUBE_START))
    elif target is None or target.kind == "test-cluster":
        if target is None:
            log(f"starting {diagnosis.starter}")
        lifecycle.up(with_datastores=True, log=log)  # pushes only the images its registry lacks
    found, why = targets.find()
    if found is None:
        raise ClusterError(f"the cluster started, but kubectl does not reach it as a local cluster: {why}")
    phases.done("cluster")
    return found
