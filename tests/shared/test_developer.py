"""tasks/shared/developer.py: who the developer is, and their namespace's name."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tasks.shared.developer import LABEL, checked_namespace, default_namespace, developer, dns_label
from tasks.shared.errors import SharedError


@pytest.mark.parametrize(
    ("text", "label"),
    [("alice", "alice"), ("Jane.O'Neil", "jane-o-neil"), ("__root__", "root"), ("a" * 80, "a" * 63), ("_-_", "")],
)
def test_a_name_becomes_a_dns_label(text, label):
    assert dns_label(text) == label


@given(st.text())
def test_any_text_becomes_a_dns_label_or_nothing_and_a_label_stays_as_it_is(text):
    label = dns_label(text)
    assert label == "" or LABEL.match(label)
    assert dns_label(label) == label


def test_the_developer_is_user_made_a_label_and_their_namespace_dev_user():
    assert developer({"USER": "Ann Lee"}) == "ann-lee"
    assert developer({"LOGNAME": "bob"}) == "bob"
    assert default_namespace("ann-lee") == "dev-ann-lee"
    assert len(default_namespace("x" * 63)) == 63


def test_a_user_with_no_letter_or_digit_is_one_line_with_the_fix():
    with pytest.raises(SharedError, match=r"^shared cluster: \$USER has no letter or digit .*; set USER=yourname$"):
        developer({"USER": "..."})


def test_a_given_namespace_is_kept_as_given_or_refused_never_mangled():
    assert checked_namespace("dev-alice") == "dev-alice"
    with pytest.raises(SharedError) as refused:
        checked_namespace("Dev_Alice")
    assert str(refused.value) == (
        "namespace 'Dev_Alice' is not a DNS label (lower-case letters, digits and '-', at most 63): "
        "try --namespace dev-alice"
    )
