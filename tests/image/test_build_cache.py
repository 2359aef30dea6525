"""Layers are cached so that a code-only change rebuilds only the code layers of prod."""

import pytest

from tasks.image import builds, measurements
from tasks.image.docker_engine import image_id

pytestmark = pytest.mark.docker


def test_an_unchanged_rebuild_is_all_cache_and_the_same_image(prod_image):
    again = builds.build("prod", offline=True, log=lambda _: None)
    assert again.image_id == prod_image.image_id == image_id(prod_image.tag)
    assert all(again.cached(stage) for stage in ("base", "deps", "prod-venv", "prod"))


def test_a_code_change_rebuilds_the_code_layers_only(prod_image):
    rebuild = measurements.code_only_rebuild("prod", offline=True, log=lambda _: None)
    assert rebuild.cached("deps") and rebuild.cached("prod-venv")
    assert not rebuild.cached("prod")
    assert rebuild.image_id != prod_image.image_id
    assert image_id(prod_image.tag) == prod_image.image_id  # the real tag is left alone
    # How long it takes is the bench's to say (`invoke bench`: prod code-only rebuild, target 3 s).
