"""minikube, the cluster `invoke up` starts when none is running."""

from __future__ import annotations

import subprocess

PROFILE = "minikube"
# NetworkPolicies are enforced only with a CNI that implements them: dev should fail where prod would.
MINIKUBE_START = ["minikube", "start", "--profile", PROFILE, "--cni", "calico", "--addons", "metrics-server"]


def minikube_docker_env() -> dict[str, str]:
    """DOCKER_HOST and friends for minikube's engine, so images are built where pods run."""
    out = subprocess.run(
        ["minikube", "docker-env", "--profile", PROFILE, "--shell", "none"], capture_output=True, text=True, check=True
    ).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
