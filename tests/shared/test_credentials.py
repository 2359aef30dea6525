"""tasks/shared/credentials.py: the developer's registry credentials, from their Docker config as `docker login`
left it (auths, a credential helper); missing or unusable ones are one line with the fix."""

from __future__ import annotations

import base64
import json
import os
import stat

import pytest

from tasks.shared.credentials import Credentials, lookup
from tasks.shared.errors import SharedError

HOST = "registry.example.com"


def config(tmp_path, content: dict) -> dict[str, str]:
    (tmp_path / "config.json").write_text(json.dumps(content))
    return {"DOCKER_CONFIG": str(tmp_path), "PATH": os.environ["PATH"]}


def auth(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize("key", [HOST, f"https://{HOST}", f"https://{HOST}/v1/"])
def test_an_auths_entry_under_any_spelling_of_the_host(tmp_path, key):
    environ = config(tmp_path, {"auths": {key: {"auth": auth("alice", "s3:cret")}}})
    assert lookup(HOST, environ) == Credentials("alice", "s3:cret")


def test_a_credential_helper_named_for_the_host_is_asked(tmp_path, monkeypatch):
    helper = tmp_path / "bin" / "docker-credential-team"
    helper.parent.mkdir()
    # A real helper executable speaking the helper protocol: the host on stdin, JSON on stdout.
    helper.write_text(
        "#!/bin/sh\nread host\n"
        '[ "$1" = get ] && [ "$host" = registry.example.com ] && '
        'echo \'{"ServerURL": "registry.example.com", "Username": "alice", "Secret": "from-helper"}\' && exit 0\n'
        "echo 'credentials not found in native keychain'; exit 1\n"
    )
    helper.chmod(helper.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{helper.parent}{os.pathsep}{os.environ['PATH']}")
    environ = config(tmp_path, {"credHelpers": {HOST: "team"}, "auths": {HOST: {}}})
    assert lookup(HOST, environ) == Credentials("alice", "from-helper")
    with pytest.raises(SharedError, match=r"^no credentials for registry other\.example\.com in .*config\.json"):
        lookup("other.example.com", config(tmp_path, {"credsStore": "team"}))


@pytest.mark.parametrize(
    ("content", "line"),
    [
        ({}, f"no credentials for registry {HOST} in"),
        ({"auths": {"elsewhere.example.com": {"auth": auth("a", "b")}}}, f"no credentials for registry {HOST} in"),
        ({"auths": {HOST: {"identitytoken": "eyJ"}}}, f"your credentials for {HOST} are an identity token"),
        ({"auths": {HOST: {"auth": "%%%"}}}, "a Docker config auth entry is not base64 user:password"),
    ],
)
def test_no_usable_credentials_is_one_line_with_the_fix(tmp_path, content, line):
    with pytest.raises(SharedError) as refused:
        lookup(HOST, config(tmp_path, content))
    assert str(refused.value).startswith(line) and "docker login" in str(refused.value)


def test_an_unreadable_config_is_one_line(tmp_path):
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(SharedError, match=r"^cannot read your Docker config .*: fix it or run `docker login"):
        lookup(HOST, {"DOCKER_CONFIG": str(tmp_path)})
