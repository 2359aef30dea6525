"""Every overlay renders with the real kubectl kustomize, using only current Kustomize fields."""

from pathlib import Path

import pytest
import yaml

from tasks.k8s import kustomize
from tests.k8s.manifests import rendered

pytestmark = pytest.mark.k8s

DEPRECATED_FIELDS = {"commonLabels", "patchesStrategicMerge", "patchesJson6902", "vars", "bases", "imageTags"}


def kustomizations() -> list[Path]:
    return sorted(kustomize.K8S_ROOT.rglob("kustomization.yaml"))


def test_the_overlays_are_dev_staging_and_prod():
    assert kustomize.overlays() == ["dev", "prod", "staging"]


def test_every_overlay_renders_objects(objects):
    assert len(objects) >= 10
    assert all({"apiVersion", "kind", "metadata"} <= obj.keys() for obj in objects)


def test_object_names_are_unique_per_kind(objects):
    keys = [(o["kind"], o["metadata"]["name"]) for o in objects]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("path", kustomizations(), ids=lambda p: str(p.relative_to(kustomize.K8S_ROOT).parent))
def test_kustomizations_use_only_current_fields(path):
    document = yaml.safe_load(path.read_text())
    assert not DEPRECATED_FIELDS & document.keys()
    # Selectors are immutable, so whether labels reach them is always said out loud.
    for entry in document.get("labels", []):
        assert entry.get("includeSelectors") is False, f"{path}: labels without includeSelectors: false"


def test_render_helper_lists_overlays_in_one_line_for_an_unknown_overlay():
    with pytest.raises(kustomize.UnknownOverlay) as caught:
        kustomize.render("nope")
    message = str(caught.value)
    assert "\n" not in message
    assert "'nope'" in message and "dev, prod, staging" in message


def write_overlay(root: Path, name: str, kustomization: str) -> None:
    directory = root / "overlays" / name
    directory.mkdir(parents=True)
    (directory / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
    (directory / "kustomization.yaml").write_text(kustomization)


def test_render_helper_takes_another_root(tmp_path):
    write_overlay(tmp_path, "only", "resources: [cm.yaml]\n")
    assert kustomize.overlays(tmp_path) == ["only"]
    assert kustomize.render("only", root=tmp_path) == [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}
    ]


def test_a_kustomize_warning_fails_the_render(tmp_path):
    write_overlay(tmp_path, "old", "resources: [cm.yaml]\ncommonLabels:\n  a: b\n")
    with pytest.raises(kustomize.RenderError, match="commonLabels"):
        kustomize.render("old", root=tmp_path)


def test_a_broken_overlay_fails_the_render(tmp_path):
    write_overlay(tmp_path, "broken", "resources: [missing.yaml]\n")
    with pytest.raises(kustomize.RenderError, match=r"missing\.yaml"):
        kustomize.render("broken", root=tmp_path)


def test_generated_names_are_unhashed():
    assert kustomize.unhashed("app-config-8m54g86m99") == "app-config"
    assert kustomize.unhashed("app-secrets") == "app-secrets"
    names = kustomize.generated_names(rendered("dev"))
    assert sorted(names.values()) == ["app-config", "app-secrets", "postgres-credentials"]
