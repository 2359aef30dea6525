"""Who the developer is on a shared cluster, and the namespace they get by default: dev-$USER, made a DNS label."""

from __future__ import annotations

import getpass
import os
import re

from tasks.shared.errors import SharedError

MAX_LABEL = 63  # a DNS label (RFC 1123), which a namespace name and a label value both must be
_NOT_LABEL = re.compile(r"[^a-z0-9-]+")
LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


def dns_label(text: str) -> str:
    """TEXT lower-cased, every run of other characters one '-', trimmed to 63: "Jane.O'Neil" -> "jane-o-neil"."""
    return _NOT_LABEL.sub("-", text.lower()).strip("-")[:MAX_LABEL].rstrip("-")


def developer(environ: dict[str, str] | None = None) -> str:
    """The developer's name as a DNS label, from $USER (else the login name)."""
    environ = os.environ if environ is None else environ
    name = dns_label(environ.get("USER") or environ.get("LOGNAME") or getpass.getuser())
    if not name:
        raise SharedError("shared cluster: $USER has no letter or digit to name your namespace; set USER=yourname")
    return name


def default_namespace(name: str) -> str:
    return dns_label(f"dev-{name}")


def checked_namespace(namespace: str) -> str:
    """NAMESPACE if it is a valid namespace name; one line saying why not otherwise (a given name is never mangled)."""
    if not LABEL.match(namespace):
        raise SharedError(
            f"namespace {namespace!r} is not a DNS label (lower-case letters, digits and '-', at most 63): "
            f"try --namespace {dns_label(namespace) or default_namespace('yourname')}"
        )
    return namespace
