"""Certificates in PEM bundles, to tell Debian's CA set from what a host added to it."""

from __future__ import annotations

import base64
import re
from pathlib import Path

_PEM = re.compile(rb"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", re.S)
HOST_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
DEBIAN_CAS = Path("/usr/share/ca-certificates")  # what Debian's ca-certificates package ships


def ders(pem: bytes) -> list[bytes]:
    """The DER bytes of every certificate in a PEM text."""
    return [base64.b64decode(b"".join(body.split())) for body in _PEM.findall(pem)]


def host_only_cas() -> list[bytes]:
    """CAs the host trusts beyond Debian's package: a TLS-intercepting proxy's, a company's."""
    debian = {der for path in DEBIAN_CAS.rglob("*.crt") for der in ders(path.read_bytes())}
    return [der for der in ders(HOST_BUNDLE.read_bytes()) if der not in debian] if HOST_BUNDLE.is_file() else []


def needles(der: bytes) -> list[bytes]:
    """Byte strings that identify one certificate wherever it is stored, as DER or as PEM.

    Both come from the signature at its end, which no other certificate shares.
    """
    b64 = base64.b64encode(der)
    pem_lines = [b64[i : i + 64] for i in range(0, len(b64), 64)]  # PEM wraps at 64 columns
    return [der[-48:], pem_lines[-2]]
