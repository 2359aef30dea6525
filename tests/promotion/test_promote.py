"""`invoke promote` end to end on a copy of k8s/: staging then prod, the diff, dry run, idempotence, refusals."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tasks.k8s import kustomize
from tasks.promotion.digest_ref import PLACEHOLDER_DIGEST
from tasks.promotion.overlay_images import entry_digest
from tests.k8s.manifests import pod_templates
from tests.promotion.cli import kustomization, promote, snapshot

pytestmark = pytest.mark.k8s

REGISTRY = "registry.example.com/team/shipyard-app"
DIGEST = "sha256:" + "5e" * 32
BUILT = f"{REGISTRY}:3f2a1b@{DIGEST}"  # what `skaffold build --push` reports: tag and digest
PINNED = f"{REGISTRY}@{DIGEST}"
UNPROMOTED_PROD = f"shipyard-app@{PLACEHOLDER_DIGEST}"

# The entries as they are in git, and as a promotion of PINNED writes them.
STAGING_ENTRY = b"  - name: shipyard-app\n    newTag: staging\n"
PROD_ENTRY = f"  - name: shipyard-app\n    digest: {PLACEHOLDER_DIGEST}\n".encode()
PINNED_ENTRY = f"  - name: shipyard-app\n    newName: {REGISTRY}\n    digest: {DIGEST}\n".encode()


def container_images(objects: list[dict]) -> dict[str, str]:
    """'kind/name/container' -> image, for every container and init container."""
    return {f"{t.key}/{c['name']}": c["image"] for t in pod_templates(objects) for c in t.containers()}


def changed_lines(diff: str, sign: str) -> list[str]:
    return [line[1:].strip() for line in diff.splitlines() if line.startswith(sign) and not line.startswith(sign * 3)]


def last_line(result) -> str:
    return result.stdout.splitlines()[-1]


def test_staging_then_prod_pins_the_digest_on_every_app_container_and_nothing_else(k8s_root):
    original = snapshot(k8s_root)
    before = container_images(kustomize.render("prod", k8s_root))
    app = {key for key, image in before.items() if image == UNPROMOTED_PROD}
    assert {"deployment/web/web", "deployment/worker/worker", "deployment/beat/beat", "job/migrate/migrate"} <= app

    staged = promote(k8s_root, "--to", "staging", "--image", BUILT)
    assert staged.returncode == 0, staged.stderr
    assert "note: dropped tag '3f2a1b'" in staged.stdout
    assert last_line(staged).startswith(f"promote: staging shipyard-app:staging -> {PINNED} (")

    promoted = promote(k8s_root, "--to", "prod")
    assert promoted.returncode == 0, promoted.stderr
    summary = f"promote: prod {UNPROMOTED_PROD} -> {PINNED} ({kustomization(k8s_root, 'prod')})"
    assert last_line(promoted) == summary
    # The rendered diff names each app container's image once, before and after, and nothing else.
    assert changed_lines(promoted.stdout, "-") == [f"image: {UNPROMOTED_PROD}"] * len(app)
    assert changed_lines(promoted.stdout, "+") == [f"image: {PINNED}"] * len(app)

    after = container_images(kustomize.render("prod", k8s_root))
    assert {key for key, image in after.items() if image == PINNED} == app
    assert {k: v for k, v in after.items() if k not in app} == {k: v for k, v in before.items() if k not in app}

    now = snapshot(k8s_root)
    assert {path for path in now if now[path] != original[path]} == {
        "overlays/staging/kustomization.yaml",
        "overlays/prod/kustomization.yaml",
    }
    for overlay, entry in (("staging", STAGING_ENTRY), ("prod", PROD_ENTRY)):
        path = f"overlays/{overlay}/kustomization.yaml"
        assert original[path].count(entry) == 1
        assert now[path] == original[path].replace(entry, PINNED_ENTRY)


def test_dry_run_prints_the_rendered_diff_and_writes_nothing(k8s_root):
    original = snapshot(k8s_root)
    result = promote(k8s_root, "--to", "staging", "--image", BUILT, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert f"--- kubectl kustomize {k8s_root / 'overlays' / 'staging'} (before)" in result.stdout
    assert set(changed_lines(result.stdout, "-")) == {"image: shipyard-app:staging"}
    assert set(changed_lines(result.stdout, "+")) == {f"image: {PINNED}"}
    assert last_line(result) == f"promote --dry-run: staging shipyard-app:staging -> {PINNED} (nothing written)"
    assert snapshot(k8s_root) == original


def test_staging_takes_the_digest_from_skaffold_build_output(k8s_root, tmp_path):
    build = tmp_path / "build.json"
    build.write_text(json.dumps({"builds": [{"imageName": "shipyard-app", "tag": BUILT}]}))
    result = promote(k8s_root, "--to", "staging", "--from-build-file", str(build))
    assert result.returncode == 0, result.stderr
    assert entry_digest(kustomization(k8s_root, "staging").read_text()) == (REGISTRY, DIGEST)


def test_promoting_the_same_digest_twice_changes_nothing(k8s_root):
    for args in (("--to", "staging", "--image", BUILT), ("--to", "prod")):
        first = promote(k8s_root, *args)
        assert first.returncode == 0, first.stderr
        written = snapshot(k8s_root)
        mtime = kustomization(k8s_root, args[1]).stat().st_mtime_ns

        again = promote(k8s_root, *args)
        assert again.returncode == 0, again.stderr
        assert last_line(again) == f"promote: {args[1]} already runs {PINNED}; nothing to change"
        assert "+++" not in again.stdout
        assert snapshot(k8s_root) == written
        assert kustomization(k8s_root, args[1]).stat().st_mtime_ns == mtime  # not even rewritten


# --- Refusals: one line on stderr, exit 1, not a byte changed ----------------------------------


def edit(root: Path, overlay: str, old: str, new: str) -> None:
    path = kustomization(root, overlay)
    text = path.read_text()
    assert text.count(old) == 1
    path.write_text(text.replace(old, new))


def staging_has_the_placeholder(root: Path) -> None:
    edit(root, "staging", "    newTag: staging\n", f"    digest: {PLACEHOLDER_DIGEST}\n")


def staging_does_not_render(root: Path) -> None:
    edit(root, "staging", "  - ../../base\n", "  - ../../base\n  - missing.yaml\n")


def staging_renders_only_with_a_registry_port(root: Path) -> None:
    """Renders now, fails once pinned to a bare name: a replacement reads the third ':' field of
    web's image, which `localhost:5000/shipyard-app@sha256:...` has and `shipyard-app@sha256:...` lacks."""
    edit(root, "staging", "    newTag: staging\n", f"    newName: localhost:5000/shipyard-app\n    digest: {DIGEST}\n")
    path = kustomization(root, "staging")
    path.write_text(
        path.read_text()
        + "replacements:\n"
        + "  - source:\n"
        + "      kind: Deployment\n      name: web\n      fieldPath: spec.template.spec.containers.0.image\n"
        + '      options:\n        delimiter: ":"\n        index: 2\n'
        + "    targets:\n      - select:\n          kind: ConfigMap\n          name: app-config\n"
        + '        fieldPaths: ["data.IMAGE_DIGEST_HEX"]\n        options:\n          create: true\n'
    )
    assert "IMAGE_DIGEST_HEX: " + "5e" * 32 in kustomize.render_yaml("staging", root)


def as_is(root: Path) -> None:
    pass


def refusal(name: str, args: list[str], setup: Callable[[Path], None], complaint: str):
    return pytest.param(args, setup, complaint, id=name)


REFUSALS = [
    refusal("tag-without-digest", ["--to", "staging", "--image", f"{REGISTRY}:v1"], as_is, "has no digest"),
    refusal("short-digest", ["--to", "staging", "--image", f"{REGISTRY}@sha256:5e5e"], as_is, "malformed digest"),
    refusal(
        "uppercase-digest", ["--to", "staging", "--image", f"{REGISTRY}@{DIGEST.upper()}"], as_is, "malformed digest"
    ),
    refusal(
        "placeholder-digest", ["--to", "staging", "--image", UNPROMOTED_PROD], as_is, "all-zero placeholder digest"
    ),
    refusal("unknown-environment", ["--to", "qa", "--image", BUILT], as_is, "unknown environment 'qa'"),
    refusal("dev-is-not-promoted-to", ["--to", "dev", "--image", BUILT], as_is, "unknown environment 'dev'"),
    refusal(
        "prod-while-staging-has-a-tag",
        ["--to", "prod"],
        as_is,
        "staging has no digest to promote (it runs shipyard-app:staging)",
    ),
    refusal(
        "prod-while-staging-has-the-placeholder",
        ["--to", "prod"],
        staging_has_the_placeholder,
        f"staging has no digest to promote (it runs {UNPROMOTED_PROD})",
    ),
    refusal("prod-with-its-own-image", ["--to", "prod", "--image", BUILT], as_is, "prod takes exactly the digest"),
    refusal("staging-without-a-source", ["--to", "staging"], as_is, "needs one of --image"),
    refusal(
        "staging-with-two-sources",
        ["--to", "staging", "--image", BUILT, "--from-build-file", "build.json"],
        as_is,
        "needs one of --image",
    ),
    refusal(
        "does-not-render-before",
        ["--to", "staging", "--image", BUILT],
        staging_does_not_render,
        "staging does not render before the edit: ",
    ),
    refusal(
        "does-not-render-after",
        ["--to", "staging", "--image", f"shipyard-app@{DIGEST}"],
        staging_renders_only_with_a_registry_port,
        "staging does not render after the edit: ",
    ),
]


@pytest.mark.parametrize(("args", "setup", "complaint"), REFUSALS)
def test_a_refused_promotion_is_one_line_and_changes_nothing(k8s_root, args, setup, complaint):
    setup(k8s_root)
    before = snapshot(k8s_root)
    result = promote(k8s_root, *args)
    assert result.returncode == 1, result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("promote: ")
    assert complaint in lines[0]
    assert "Traceback" not in result.stdout + result.stderr
    assert "+++" not in result.stdout
    assert snapshot(k8s_root) == before


def test_an_unpushed_build_is_refused(k8s_root, tmp_path):
    build = tmp_path / "build.json"
    build.write_text(json.dumps({"builds": [{"imageName": "shipyard-app", "tag": "shipyard-app:3f2a1b"}]}))
    before = snapshot(k8s_root)
    result = promote(k8s_root, "--to", "staging", "--from-build-file", str(build))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "promote: 'shipyard-app:3f2a1b' has no digest: promote an image by digest (REPO@sha256:...), "
        "which a registry assigns on push (skaffold build --push --file-output build.json)"
    )
    assert snapshot(k8s_root) == before
