"""The run directory's record of the cluster it holds: which kind, its kubeconfig, context and registry,
and which host paths `up` created (so `down` removes exactly those)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tasks.cluster.layout import Layout
from tasks.cluster.progress import ClusterError

BINARIES = "binaries"  # the test cluster from the kube kit's binaries (testcluster/)
KIND = "kind"  # a kind cluster in Docker
OLD_NAMES = {"kit": BINARIES}  # what run dirs recorded before the provider was called binaries


@dataclass
class State:
    kind: str  # BINARIES or KIND
    context: str
    kubeconfig: str
    registry: str
    started_at: float  # time.time() when `up` began: host-path entries newer than this are ours
    created_paths: list[str] = field(default_factory=list)  # host paths that did not exist before `up`
    kit_dir: str = ""
    registry_container: str = ""  # kind: the id of the registry container `up` started


def load(layout: Layout) -> State | None:
    """The recorded state, or None when the run dir holds no cluster."""
    try:
        data = json.loads(layout.state_file.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise ClusterError(f"cannot read {layout.state_file} ({error}): run `invoke cluster.down`") from None
    data["kind"] = OLD_NAMES.get(data.get("kind"), data.get("kind"))
    return State(**data)


def save(layout: Layout, state: State) -> None:
    """Write atomically: a reader never sees half a file."""
    tmp = layout.state_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(state), indent=2) + "\n")
    os.replace(tmp, layout.state_file)


def claim_run_dir(layout: Layout) -> list[str]:
    """Create the run dir (marked as ours); return the paths created that were not there (parents too)."""
    created = []
    missing = [p for p in [layout.run_dir, *layout.run_dir.parents] if not p.exists()]
    created += [str(p) for p in missing if p != layout.run_dir]
    layout.run_dir.mkdir(parents=True, exist_ok=True)
    layout.marker.touch()
    return created


def is_ours(path: Path) -> bool:
    """A run dir `invoke cluster.up` made (has its marker), or nothing at all there."""
    return not path.exists() or (path / ".shipyard-cluster").exists()


def remove_run_dir(layout: Layout, created_parents: list[str]) -> None:
    """Delete the run dir, then the parents `up` created for it, each only if empty."""
    shutil.rmtree(layout.run_dir, ignore_errors=True)
    for parent in sorted(created_parents, key=len, reverse=True):
        with contextlib.suppress(OSError):  # only if empty: something else may have moved in since
            Path(parent).rmdir()
