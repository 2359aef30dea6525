"""Which base an app build uses: a local one unless a pull is asked for (no Docker needed)."""

import pytest

from tasks.image import builds
from tasks.image.builds import OFFICIAL_BASE, choose_base
from tasks.image.debian_base import BASE_TAG


@pytest.fixture
def engine(monkeypatch):
    """A fake engine: the set of local images, and a record of debootstrap runs."""
    state = {"local": set(), "bootstrapped": 0}

    def ensure_base(log):  # like the real one: a no-op when the image exists
        if BASE_TAG not in state["local"]:
            state["bootstrapped"] += 1
            state["local"].add(BASE_TAG)

    monkeypatch.setattr(builds, "image_exists", lambda ref: ref in state["local"])
    monkeypatch.setattr(builds, "ensure_base", ensure_base)
    return state


def test_an_explicit_base_image_wins(engine):
    assert choose_base(offline=True, base_image="my/python:3.11") == "my/python:3.11"
    assert engine["bootstrapped"] == 0


def test_offline_bootstraps_the_debian_base_when_missing(engine):
    engine["local"].add(OFFICIAL_BASE)
    assert choose_base(offline=True) == BASE_TAG
    assert engine["bootstrapped"] == 1


def test_online_uses_the_official_image_even_if_absent(engine):
    assert choose_base(offline=False) == OFFICIAL_BASE
    assert engine["bootstrapped"] == 0


@pytest.mark.parametrize(
    ("local", "expected", "bootstraps"),
    [
        ({BASE_TAG, OFFICIAL_BASE}, BASE_TAG, 0),
        ({OFFICIAL_BASE}, OFFICIAL_BASE, 0),
        (set(), BASE_TAG, 1),  # nothing local: bootstrap rather than pull from a registry
    ],
)
def test_auto_picks_a_local_image_and_never_pulls(engine, local, expected, bootstraps):
    engine["local"].update(local)
    assert choose_base(offline=None) == expected
    assert engine["bootstrapped"] == bootstraps
