"""Who runs the test cluster: kind (kind.py), or binaries, Kubernetes from the kube kit's binaries as host
processes, for machines without kind (testcluster/ at the repository root).

This is the one place tasks/cluster imports testcluster, and only when asked: a team on kind or minikube
loads its few addresses (NO_PROXY, ports the registry must not take), never its machinery.
"""

from __future__ import annotations

import sys
from types import ModuleType

from tasks.paths import ROOT


def _importable() -> None:
    """testcluster sits beside tasks at the repository root; invoke loads tasks without putting that on sys.path."""
    if str(ROOT) not in sys.path:
        sys.path.append(str(ROOT))


def addresses() -> ModuleType:
    """testcluster.layout: the binaries provider's node address and fixed ports (constants only)."""
    _importable()
    import testcluster.layout

    return testcluster.layout


def binaries() -> ModuleType:
    """testcluster.provider: present, preflight, run, daemons, stop, leftovers."""
    _importable()
    import testcluster.provider

    return testcluster.provider
