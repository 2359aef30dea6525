"""`invoke promote`: pin the app image by digest in staging, then move that digest to prod."""

from __future__ import annotations

from pathlib import Path

from invoke import Context, Exit, task

from tasks import kustomize, promotion
from tasks.digest_ref import DigestRef, RefError, from_build_file, parse


def _ref(to: str, image: str, build_file: str, root: Path) -> DigestRef:
    """Where the digest comes from: a build for staging, staging itself for prod."""
    if to == "prod":
        if image or build_file:
            raise promotion.PromotionError("prod takes exactly the digest staging has: drop --image/--from-build-file")
        return promotion.source_ref("prod", root)
    if bool(image) == bool(build_file):
        raise promotion.PromotionError(
            f"promote --to {to} needs one of --image REPO@sha256:<64 hex> or --from-build-file build.json"
        )
    return parse(image) if image else from_build_file(Path(build_file))


@task(
    help={
        "to": "the environment to promote to: staging or prod",
        "image": "staging only: the image by digest, e.g. registry.example.com/team/shipyard-app@sha256:<64 hex>",
        "from-build-file": "staging only: the JSON of `skaffold build --file-output FILE` (its shipyard-app build)",
        "dry-run": "print the rendered diff and write nothing",
        "root": "the k8s/ directory whose overlays to edit (default: this checkout's)",
    }
)
def promote(
    c: Context, to: str, image: str = "", from_build_file: str = "", dry_run: bool = False, root: str = ""
) -> None:
    """Pin the app image by digest in staging (from a build) or prod (staging's digest)."""
    k8s_root = Path(root) if root else kustomize.K8S_ROOT
    try:
        promotion.kustomization(to, k8s_root)  # an unknown environment is refused before anything else
        ref = _ref(to, image, from_build_file, k8s_root)
        print(f"promote: rendering {to} before and after pinning {ref} ...", flush=True)
        change = promotion.plan(to, ref, k8s_root)
        for note in change.notes:
            print(note)
        if not change.changed:
            print(f"promote: {to} already runs {change.new_ref}; nothing to change")
            return
        print(change.diff, end="")
        if dry_run:
            print(f"promote --dry-run: {to} {change.old_ref} -> {change.new_ref} (nothing written)")
            return
        promotion.write(change)
    except (promotion.PromotionError, RefError, OSError) as error:
        raise Exit(f"promote: {error}", code=1) from None
    print(f"promote: {to} {change.old_ref} -> {change.new_ref} ({promotion.shown(change.path)})")
