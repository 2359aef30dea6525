"""Image references: only a well-formed sha256 digest is promotable; Skaffold's build output is read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tasks.promotion.digest_ref import PLACEHOLDER_DIGEST, DigestRef, RefError, from_build_file, parse

A = "sha256:" + "a" * 64
B = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize(
    ("reference", "repository", "tag"),
    [
        (f"shipyard-app@{A}", "shipyard-app", None),
        (f"registry.example.com/team/shipyard-app@{A}", "registry.example.com/team/shipyard-app", None),
        (f"localhost:5000/shipyard-app@{A}", "localhost:5000/shipyard-app", None),
        (f"ghcr.io/acme/apps/shipyard:v1.2.3@{A}", "ghcr.io/acme/apps/shipyard", "v1.2.3"),
        (f"localhost:5000/shipyard-app:abc123-dirty@{A}", "localhost:5000/shipyard-app", "abc123-dirty"),
    ],
)
def test_a_reference_by_digest_parses_and_its_tag_is_dropped(reference, repository, tag):
    ref = parse(reference)
    assert ref == DigestRef(repository, A, tag)
    assert str(ref) == f"{repository}@{A}"


@pytest.mark.parametrize(
    ("reference", "complaint"),
    [
        ("shipyard-app:staging", "has no digest"),
        ("registry.example.com/team/shipyard-app:v1", "has no digest"),
        ("shipyard-app", "has no digest"),
        ("shipyard-app@sha256:abc", "malformed digest"),
        ("shipyard-app@sha256:" + "A" * 64, "malformed digest"),
        ("shipyard-app@sha256:" + "a" * 65, "malformed digest"),
        ("shipyard-app@sha512:" + "a" * 128, "malformed digest"),
        ("shipyard-app@" + "a" * 64, "malformed digest"),
        (f"shipyard-app@{PLACEHOLDER_DIGEST}", "placeholder"),
        (f"Shipyard-App@{A}", "is not an image repository"),
        (f"shipyard app@{A}", "is not an image repository"),
        (f"@{A}", "is not an image repository"),
        (f"shipyard-app@{A}@{B}", "malformed digest"),
    ],
)
def test_anything_but_a_well_formed_digest_is_refused_in_one_line(reference, complaint):
    with pytest.raises(RefError) as refused:
        parse(reference)
    assert complaint in str(refused.value)
    assert "\n" not in str(refused.value)


def build_file(tmp_path: Path, builds: list[dict]) -> Path:
    path = tmp_path / "build.json"
    path.write_text(json.dumps({"builds": builds}))
    return path


def test_the_build_file_gives_the_app_image_skaffold_built(tmp_path):
    path = build_file(
        tmp_path,
        [
            {"imageName": "other", "tag": f"registry.example.com/other@{B}"},
            {"imageName": "shipyard-app", "tag": f"registry.example.com/shipyard-app:3f2a1b@{A}"},
        ],
    )
    assert from_build_file(path) == DigestRef("registry.example.com/shipyard-app", A, "3f2a1b")


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        # A local build that was never pushed: a tag, no registry digest.
        ({"builds": [{"imageName": "shipyard-app", "tag": "shipyard-app:3f2a1b"}]}, "has no digest"),
        ({"builds": [{"imageName": "other", "tag": f"other@{A}"}]}, "has no build of shipyard-app"),
        ({"builds": []}, "has no build of shipyard-app"),
        ({"artifacts": []}, "is not skaffold build output"),
        ([1, 2], "is not skaffold build output"),
    ],
)
def test_a_build_file_without_a_promotable_app_image_is_refused(tmp_path, content, complaint):
    path = tmp_path / "build.json"
    path.write_text(json.dumps(content))
    with pytest.raises(RefError, match=complaint):
        from_build_file(path)


def test_a_build_file_that_is_not_json_or_missing_is_refused(tmp_path):
    broken = tmp_path / "build.json"
    broken.write_text("builds: [")
    with pytest.raises(RefError, match="is not skaffold build output"):
        from_build_file(broken)
    with pytest.raises(RefError, match="no such file"):
        from_build_file(tmp_path / "missing.json")
