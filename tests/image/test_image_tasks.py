"""`invoke image.*` rejects bad input with one line, before touching Docker."""

import pytest
from invoke import Context
from invoke.exceptions import Exit

from tasks import image


def test_an_unknown_target_is_named_with_the_fix():
    with pytest.raises(Exit) as error:
        image.build(Context(), target="staging")
    assert error.value.code == 1
    assert error.value.message == "unknown --target 'staging': use --target dev or --target prod"


def test_offline_and_online_together_are_refused():
    with pytest.raises(Exit) as error:
        image.build(Context(), target="prod", offline=True, online=True)
    assert "contradict" in error.value.message
    assert "\n" not in error.value.message
