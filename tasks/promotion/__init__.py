"""`invoke promote`: pin the app image by digest in staging, then move that digest to prod."""

from __future__ import annotations

from pathlib import Path

from invoke import Context, Exit, task

from tasks.cli import help_even_for_positionals
from tasks.k8s import kustomize
from tasks.promotion import overlay_change
from tasks.promotion.digest_ref import RefError


@task(
    help={
        "to": "the environment to promote to: staging or prod",
        "image": "staging only: the image by digest, e.g. registry.example.com/team/shipyard-app@sha256:<64 hex>",
        "from-build-file": "staging only: the JSON of `skaffold build --file-output FILE` (its shipyard-app build)",
        "dry-run": "print the rendered diff and write nothing",
        "root": "the k8s/ directory whose overlays to edit (default: this checkout's)",
    }
)
@help_even_for_positionals("promote")
def promote(
    c: Context, to: str, image: str = "", from_build_file: str = "", dry_run: bool = False, root: str = ""
) -> None:
    """Pin the app image by digest in staging (from a build) or prod (staging's digest)."""
    k8s_root = Path(root) if root else kustomize.K8S_ROOT
    try:
        overlay_change.kustomization(to, k8s_root)  # an unknown environment is refused before anything else
        ref = overlay_change.source_for(to, image, from_build_file, k8s_root)
        print(f"promote: rendering {to} before and after pinning {ref} ...", flush=True)
        change = overlay_change.plan(to, ref, k8s_root)
        for note in change.notes:
            print(note)
        if not change.changed:
            print(f"promote: {to} already runs {change.new_ref}; nothing to change")
            return
        print(change.diff, end="")
        if dry_run:
            print(f"promote --dry-run: {to} {change.old_ref} -> {change.new_ref} (nothing written)")
            return
        overlay_change.write(change)
    except (overlay_change.PromotionError, RefError, OSError) as error:
        raise Exit(f"promote: {error}", code=1) from None
    print(f"promote: {to} {change.old_ref} -> {change.new_ref} ({overlay_change.shown(change.path)})")
