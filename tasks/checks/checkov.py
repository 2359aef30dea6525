"""checkov, the policy scanner, on what the cluster would really get: every rendered overlay, and every
standalone kustomization (a developer's namespace and its RBAC example).

Every check the project skips is listed once, with its reason, in .checkov.yaml at the root.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

from tasks.k8s import kustomize
from tasks.paths import ROOT, tool

CONFIG = ROOT / ".checkov.yaml"


def scan(targets: list[Path], config: Path = CONFIG) -> list[dict]:
    """checkov's JSON reports (one per framework) for these manifests and Dockerfiles."""
    argv = [tool("checkov"), "--config-file", str(config), "--quiet", "--compact", "--output", "json"]
    for target in targets:
        argv += ["--file", str(target)]
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    try:
        reports = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise RuntimeError(f"checkov said no JSON (exit {result.returncode}): {result.stderr.strip()[-500:]}") from None
    return reports if isinstance(reports, list) else [reports]


def failed_checks(reports: list[dict], names: dict[str, str]) -> list[str]:
    """One line per failed check: where, which check, which object."""
    lines = []
    for report in reports:
        for check in report.get("results", {}).get("failed_checks", []):
            where = names.get(Path(check["file_path"]).name, check["file_path"])
            lines.append(f"{where}: {check['check_id']} {check['resource']}: {check['check_name']}")
    return sorted(lines)


def failures(root: Path = kustomize.K8S_ROOT) -> list[str]:
    """The failed checks over every overlay and standalone kustomization (rendered into a scratch folder) and the
    Dockerfile."""
    with tempfile.TemporaryDirectory(prefix="checkov-") as scratch:
        names: dict[str, str] = {}
        where = {name: f"overlays/{name}" for name in kustomize.overlays(root)}
        where.update({name: name for name in kustomize.standalone(root)})
        for name, folder in where.items():
            rendered = f"{folder.replace('/', '--')}.yaml"
            (Path(scratch) / rendered).write_text(kustomize.render_yaml(name, root))
            names[rendered] = f"k8s/{folder}"
        return failed_checks(scan([*(Path(scratch) / name for name in names), ROOT / "Dockerfile"]), names)
