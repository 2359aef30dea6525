"""Writing a promotion: all or nothing, and never over an edit made since it was planned."""

from __future__ import annotations

import os

import pytest

from tasks.promotion import overlay_change
from tasks.promotion.digest_ref import parse
from tests.promotion.cli import kustomization, snapshot

pytestmark = pytest.mark.k8s

BUILT = "registry.example.com/team/shipyard-app@sha256:" + "5e" * 32


def test_a_write_interrupted_before_the_rename_leaves_the_old_file_and_no_temporary(k8s_root, monkeypatch):
    change = overlay_change.plan("staging", parse(BUILT), k8s_root)
    before = snapshot(k8s_root)

    def interrupted(src, dst):
        raise KeyboardInterrupt  # as if Ctrl-C arrived after the temporary file was written

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        overlay_change.write(change)
    assert snapshot(k8s_root) == before  # the same files: no half-written one, no leftover temporary


def test_a_write_replaces_the_file_whole_and_keeps_its_mode(k8s_root):
    path = kustomization(k8s_root, "staging")
    path.chmod(0o640)
    change = overlay_change.plan("staging", parse(BUILT), k8s_root)
    overlay_change.write(change)
    assert path.read_bytes() == change.new_text.encode()
    assert path.stat().st_mode & 0o777 == 0o640
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def test_a_file_edited_since_the_plan_is_not_overwritten(k8s_root):
    path = kustomization(k8s_root, "staging")
    change = overlay_change.plan("staging", parse(BUILT), k8s_root)
    path.write_text(path.read_text() + "# edited by someone else meanwhile\n")
    edited = path.read_bytes()
    with pytest.raises(overlay_change.PromotionError, match="changed while promoting"):
        overlay_change.write(change)
    assert path.read_bytes() == edited
