"""kubectl against the shared cluster's context, with the caller's kubeconfig: the few calls the loop's checks make."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field

from tasks.paths import tool
from tasks.shared import kubeconfig
from tasks.shared.errors import SharedError


@dataclass(frozen=True)
class Kube:
    context: str
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))

    def run(self, *args: str, input: str | None = None, timeout: float = 30) -> subprocess.CompletedProcess:
        argv = [tool("kubectl"), "--context", self.context, *args]
        try:
            return subprocess.run(argv, input=input, capture_output=True, text=True, timeout=timeout, env=self.env)
        except subprocess.TimeoutExpired:
            took = f"kubectl {' '.join(args[:2])} on context {self.context} took over {timeout:.0f}s"
            raise SharedError(f"{took}: is the cluster overloaded or far away?") from None

    def can_i(self, verb: str, resource: str, namespace: str = "") -> bool:
        """kubectl auth can-i; RESOURCE may name a subresource, "pods/portforward" (which can-i alone would read
        as the pod named portforward)."""
        resource, _, sub = resource.partition("/")
        scope = (["--namespace", namespace] if namespace else []) + ([f"--subresource={sub}"] if sub else [])
        return self.run("auth", "can-i", verb, resource, *scope).stdout.strip() == "yes"


def last_line(result: subprocess.CompletedProcess) -> str:
    lines = (result.stderr.strip() or result.stdout.strip()).splitlines()
    return lines[-1] if lines else f"exit {result.returncode}"


def connect(context: str, env: dict[str, str] | None = None) -> Kube:
    """The context named (else kubectl's current one), once its cluster answers; one line with the fix otherwise."""
    env = dict(os.environ) if env is None else env
    if not context:
        context = kubeconfig.current_context(env)
        if not context:
            raise SharedError("no kubectl context: pass --context NAME or set context in shared.toml")
    kube = Kube(context, env)
    known = kube.run("config", "get-contexts", "-o", "name")
    if context not in known.stdout.split():
        raise SharedError(f"no context {context!r} in your kubeconfig: `kubectl config get-contexts` lists them")
    answer = kube.run("get", "--raw", "/version", "--request-timeout", "10s")
    if answer.returncode != 0:
        why = last_line(answer)
        raise SharedError(f"context {context} does not reach its cluster ({why}): check your VPN or kubeconfig")
    return kube
