"""The developer's credentials for a registry, read from their Docker config as `docker login` left them:
credHelpers, then credsStore, then auths. The project never stores them; the loop hands them to the cluster as an
imagePullSecret in the developer's own namespace (pull_secret.py)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tasks.shared.errors import SharedError


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = ""
    identity_token: str = ""


def config_path(environ: dict[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    return Path(environ.get("DOCKER_CONFIG") or Path.home() / ".docker") / "config.json"


def _host(key: str) -> str:
    """An auths key as a host: "https://registry.example.com/v1/" -> "registry.example.com"."""
    return key.split("://", 1)[-1].split("/", 1)[0]


def _from_helper(helper: str, host: str) -> Credentials | None:
    try:
        ran = subprocess.run(
            [f"docker-credential-{helper}", "get"], input=host, capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SharedError(f"Docker's credential helper docker-credential-{helper} did not run ({error})") from None
    if ran.returncode != 0:
        return None  # "credentials not found in native keychain"
    try:
        found = json.loads(ran.stdout)
    except ValueError:
        raise SharedError(f"docker-credential-{helper} answered something that is not JSON for {host}") from None
    if found.get("Username") == "<token>":
        return Credentials("", identity_token=found.get("Secret", ""))
    return Credentials(found.get("Username", ""), found.get("Secret", ""))


def _from_auths(entry: dict) -> Credentials:
    if entry.get("identitytoken"):
        return Credentials(entry.get("username", ""), identity_token=entry["identitytoken"])
    if entry.get("auth"):
        try:
            user, _, password = base64.b64decode(entry["auth"], validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            raise SharedError("a Docker config auth entry is not base64 user:password: run `docker login`") from None
        return Credentials(user, password)
    return Credentials(entry.get("username", ""), entry.get("password", ""))


def lookup(host: str, environ: dict[str, str] | None = None) -> Credentials:
    """HOST's credentials; one line with the fix when there are none or the cluster could not pull with them."""
    path = config_path(environ)
    login = f"run `docker login {host}`"
    try:
        config = json.loads(path.read_text()) if path.is_file() else {}
    except (OSError, ValueError) as error:
        raise SharedError(f"cannot read your Docker config {path} ({error}): fix it or {login}") from None
    found = None
    if host in config.get("credHelpers", {}):
        found = _from_helper(config["credHelpers"][host], host)
    elif config.get("credsStore"):
        found = _from_helper(config["credsStore"], host)
    if found is None:
        entries = {_host(key): entry for key, entry in config.get("auths", {}).items() if isinstance(entry, dict)}
        if entries.get(host):
            found = _from_auths(entries[host])
    if found is None or not (found.password or found.identity_token):
        raise SharedError(f"no credentials for registry {host} in {path}: {login}")
    if found.identity_token:
        raise SharedError(
            f"your credentials for {host} are an identity token, which a cluster cannot pull with: "
            f"{login} with a username and a password or access token"
        )
    return found
