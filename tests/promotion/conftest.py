from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tasks.k8s import kustomize


@pytest.fixture
def k8s_root(tmp_path: Path) -> Path:
    """A private copy of k8s/: promotions in tests edit it, never the checkout's overlays."""
    copy = tmp_path / "k8s"
    shutil.copytree(kustomize.K8S_ROOT, copy, symlinks=True)
    return copy
