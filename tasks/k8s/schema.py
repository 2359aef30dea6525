"""Strict schema validation of rendered manifests with the real `kubernetes-validate` CLI.

Against the oldest Kubernetes we support (1.26), one in between (1.31) and the newest schema
the installed kubernetes-validate bundles, with --strict (unknown fields are errors): a field
newer than 1.26 fails here before a real 1.26 API server rejects it. The CLI only warns,
and exits 0, when it has no schema for a kind; here that is a failure too. So the Prometheus
Operator's objects (PodMonitor...), which it has no schema for, go to monitoring_schema instead.
"""

from __future__ import annotations

import subprocess
from typing import Any

import yaml

from tasks.k8s import monitoring_schema
from tasks.paths import tool

OLDEST_SUPPORTED = "1.26"
ALSO_CHECKED = "1.31"


def versions() -> list[str]:
    """Kubernetes versions to validate against: the oldest supported, 1.31, and the newest bundled."""
    # Imported here: it loads jsonschema, a fifth of a second that every invoke command paid at start.
    from kubernetes_validate.utils import latest_version, major_minor

    wanted = {OLDEST_SUPPORTED, ALSO_CHECKED, major_minor(latest_version())}
    return sorted(wanted, key=lambda v: tuple(map(int, v.split("."))))


def split(objects: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """The objects of Kubernetes' own kinds as YAML text for validate(), and the Prometheus Operator's."""
    native = [o for o in objects if not monitoring_schema.is_monitoring(o)]
    return yaml.safe_dump_all(native, sort_keys=False), [o for o in objects if monitoring_schema.is_monitoring(o)]


def validate(manifests: str, version: str, expected_objects: int) -> list[str]:
    """Problems kubernetes-validate --strict finds in the YAML text; [] when all is well.

    expected_objects guards against a silent pass: each object must be reported as passed.
    """
    result = subprocess.run(
        [tool("kubernetes-validate"), "--strict", "--kubernetes-version", version, "-"],
        input=manifests,
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    problems = [line for line in lines if not line.startswith("INFO ")]
    passed = sum(1 for line in lines if line.startswith("INFO ") and " passed for resource " in line)
    if result.returncode != 0 and not problems:
        problems.append(f"kubernetes-validate exited {result.returncode}")
    if passed != expected_objects:
        problems.append(f"{passed} of {expected_objects} objects passed validation against {version}")
    return problems


def outcome(overlay: str, what: str, problems: list[str]) -> str:
    """One check's line for `invoke k8s.validate`: ok or FAILED, then each problem indented."""
    return "\n".join([f"{overlay}: {what}: {'ok' if not problems else 'FAILED'}", *(f"  {p}" for p in problems)])
