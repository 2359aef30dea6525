"""The round-trip edit: the app's images entry changes, every other byte of the file stays."""

from __future__ import annotations

import pytest

from tasks.k8s import kustomize
from tasks.promotion.digest_ref import PLACEHOLDER_DIGEST, DigestRef
from tasks.promotion.overlay_images import OverlayError, current, entry_digest, pin

A = "sha256:" + "a" * 64
B = "sha256:" + "b" * 64
REGISTRY = "registry.example.com/team/shipyard-app"


def overlay_text(name: str) -> str:
    return (kustomize.K8S_ROOT / "overlays" / name / "kustomization.yaml").read_text()


# The entry as each overlay has it in git, byte for byte: the tests below replace exactly this.
ENTRIES = {
    "dev": "  - name: shipyard-app\n    newTag: dev\n",
    "staging": "  - name: shipyard-app\n    newTag: staging\n",
    "prod": f"  - name: shipyard-app\n    digest: {PLACEHOLDER_DIGEST}\n",
}


@pytest.mark.parametrize("overlay", sorted(ENTRIES))
def test_pinning_changes_the_entry_and_not_one_other_byte(overlay):
    text = overlay_text(overlay)
    assert text.count(ENTRIES[overlay]) == 1, "the overlay's images entry is not what this test expects"

    pinned = pin(text, DigestRef(REGISTRY, A))

    expected_entry = f"  - name: shipyard-app\n    newName: {REGISTRY}\n    digest: {A}\n"
    assert pinned == text.replace(ENTRIES[overlay], expected_entry)
    assert current(pinned) == f"{REGISTRY}@{A}"
    assert entry_digest(pinned) == (REGISTRY, A)


def test_a_bare_name_drops_newname_and_a_registry_replaces_it_in_place():
    text = overlay_text("staging")
    with_registry = pin(text, DigestRef(REGISTRY, A))
    bare = pin(with_registry, DigestRef("shipyard-app", B))
    assert bare == text.replace(ENTRIES["staging"], f"  - name: shipyard-app\n    digest: {B}\n")
    moved = pin(with_registry, DigestRef("ghcr.io/acme/shipyard-app", B))
    assert moved == with_registry.replace(REGISTRY, "ghcr.io/acme/shipyard-app").replace(A, B)


def test_pinning_the_same_digest_again_changes_nothing():
    once = pin(overlay_text("prod"), DigestRef(REGISTRY, A))
    assert pin(once, DigestRef(REGISTRY, A)) == once


def test_comments_on_the_entry_and_after_it_stay():
    text = (
        "images:\n"
        "  # the app, promoted by invoke promote\n"
        "  - name: shipyard-app  # built by skaffold\n"
        "    newTag: staging  # replaced on promotion\n"
        "  - name: redis\n"
        "    newTag: '7'\n"
        "\n"
        "# what comes next\n"
        "resources:\n"
        "  - ../../base\n"
    )
    pinned = pin(text, DigestRef("shipyard-app", A))
    # The comment keeps its column where it can; after the longer digest it follows one space on.
    new_line = f"    digest: {A} # replaced on promotion\n"
    assert pinned == text.replace("    newTag: staging  # replaced on promotion\n", new_line)


def test_current_spells_the_reference_as_kustomize_renders_it():
    assert current(overlay_text("dev")) == "shipyard-app:dev"
    assert current(overlay_text("prod")) == f"shipyard-app@{PLACEHOLDER_DIGEST}"
    assert entry_digest(overlay_text("staging")) == ("shipyard-app", None)


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("resources:\n  - ../../base\n", "exactly one images entry named shipyard-app (found none)"),
        ("images:\n  - name: redis\n    newTag: '7'\n", "exactly one images entry named shipyard-app (found none)"),
        (
            "images:\n  - name: shipyard-app\n    newTag: a\n  - name: shipyard-app\n    newTag: b\n",
            "exactly one images entry named shipyard-app (found 2)",
        ),
        ("images: [\n", "is not valid YAML"),
        # Sequences at the key's own indentation would be re-indented by the dump: refused, not reformatted.
        ("images:\n- name: shipyard-app\n  newTag: staging\n", "does not survive a YAML round trip unchanged"),
    ],
)
def test_a_file_that_cannot_be_edited_safely_is_refused(text, complaint):
    with pytest.raises(OverlayError) as refused:
        pin(text, DigestRef("shipyard-app", A), "overlays/x/kustomization.yaml")
    assert complaint in str(refused.value)
    assert str(refused.value).startswith("overlays/x/kustomization.yaml ")
    assert "\n" not in str(refused.value)
