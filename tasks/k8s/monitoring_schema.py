"""The Prometheus Operator's objects (PodMonitor...) validated against its schema, by node.

kubernetes-validate knows only Kubernetes' own kinds, and the operator's CRDs are not ours to copy
into the repository: monitoring_schema.mjs validates these objects with the model classes of the
npm package @kubernetes-models/prometheus-operator (pinned in package-lock.json, `npm ci`), which
are generated from the operator's Go API types, and reports unknown fields as the API server would.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tasks.paths import ROOT

GROUP = "monitoring.coreos.com"
SCRIPT = Path(__file__).with_name("monitoring_schema.mjs")
NODE_MODULES = ROOT / "node_modules"
PACKAGES = ("@kubernetes-models/prometheus-operator", "yaml")  # what SCRIPT imports
INSTALL = "run `npm ci` at the repo root (bin/setup --services does)"


def is_monitoring(obj: dict[str, Any]) -> bool:
    """Whether the object is one of the Prometheus Operator's (apiVersion monitoring.coreos.com/...)."""
    return str(obj.get("apiVersion", "")).startswith(f"{GROUP}/")


def missing(node_modules: Path = NODE_MODULES) -> str | None:
    """One line saying what to install when node or the npm packages are not there; None when they are."""
    if shutil.which("node") is None:
        return f"node (Node.js >= 20) is not on PATH: install it, then {INSTALL}"
    absent = [name for name in PACKAGES if not (node_modules / name / "package.json").is_file()]
    if absent:
        many = len(absent) > 1
        return f"npm package{'s' * many} {' and '.join(absent)} {'are' if many else 'is'} not installed: {INSTALL}"
    return None


def package_version(node_modules: Path = NODE_MODULES) -> str:
    """The installed @kubernetes-models/prometheus-operator's version, as package-lock.json pins it."""
    return json.loads((node_modules / PACKAGES[0] / "package.json").read_text())["version"]


def validate(objects: list[dict[str, Any]]) -> list[str]:
    """One line per problem ("Kind/name: field.path: what is wrong") in these operator objects; [] if valid.

    Call missing() first: without node or the package this fails with FileNotFoundError.
    """
    result = subprocess.run(
        ["node", str(SCRIPT)], input=json.dumps(objects), capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    summary = lines.pop() if lines and lines[-1].startswith("checked ") else ""
    if result.returncode not in (0, 1) or not summary:
        said = (result.stdout + result.stderr).strip().splitlines()
        return [f"{SCRIPT.name} exited {result.returncode}: {said[-1] if said else 'and said nothing'}"]
    expected = f"checked {len(objects)} {GROUP} object"
    if not summary.startswith(expected):  # a silent pass: objects the script did not look at
        lines.append(f"{SCRIPT.name} {summary}, expected {len(objects)}")
    if result.returncode == 1 and not lines:
        lines.append(f"{SCRIPT.name}: {summary}")
    return lines
