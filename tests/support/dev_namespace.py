"""k8s/dev-namespace-rbac-example made for another developer the way its comment tells a cluster admin to:
the folder copied beside k8s/dev-namespace, `alice` replaced by the developer's name in its files.

    from tests.support.dev_namespace import example_for
    manifests = example_for("bob", tmp_path)   # YAML: Namespace dev-bob, labelled bob, its Role bound to User bob
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tasks.k8s import kustomize

EXAMPLE = "dev-namespace-rbac-example"
DEVELOPER = "alice"  # the example's developer; its namespace is dev-alice
OWNER_LABEL = "shipyard.dev/dev-namespace-of"
ROLE = "shipyard-developer"


def example_for(developer: str, into: Path) -> str:
    """The example rendered for DEVELOPER from a copy under INTO (a fresh folder), as YAML text."""
    shutil.copytree(kustomize.K8S_ROOT / "dev-namespace", into / "dev-namespace")
    copy = into / f"dev-namespace-{developer}"
    shutil.copytree(kustomize.K8S_ROOT / EXAMPLE, copy)
    for path in copy.iterdir():
        path.write_text(path.read_text().replace(DEVELOPER, developer))
    return kustomize.render_yaml(copy.name, into)
