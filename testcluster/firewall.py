"""The iptables chains and ipsets a cluster leaves on the host, and their removal.

kube-proxy and kubelet make KUBE-* chains, the CNI portmap and firewall plugins CNI-*, kube-router
KUBE-* chains and ipsets. Docker's chains (DOCKER*) are never touched.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess

TABLES = ("filter", "nat", "mangle", "raw")
PREFIXES = ("KUBE-", "CNI-")


def _run(argv: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, check=False)


def _tools() -> list[str]:
    return [name for name in ("iptables", "ip6tables") if shutil.which(name)]


def chains() -> list[str]:
    """KUBE-*/CNI-* chains on the host, as "iptables/nat/KUBE-SERVICES"."""
    found = []
    for tool in _tools():
        for table in TABLES:
            for line in _run([tool, "-t", table, "-S"]).stdout.splitlines():
                if line.startswith("-N ") and line.split()[1].startswith(PREFIXES):
                    found.append(f"{tool}/{table}/{line.split()[1]}")
    return found


def ipsets() -> list[str]:
    if shutil.which("ipset") is None:
        return []
    return [name for name in _run(["ipset", "list", "-n"]).stdout.split() if name.startswith(PREFIXES)]


def _target(words: list[str]) -> str:
    """The chain a rule jumps (-j) or goes (-g) to, or ""."""
    for flag in ("-j", "-g"):
        if flag in words[:-1]:
            return words[words.index(flag) + 1]
    return ""


def clean() -> None:
    """Delete jumps into KUBE-*/CNI-* chains from other chains, then flush and delete those chains; destroy
    KUBE-* ipsets (only after the rules that use them are gone)."""
    for tool in _tools():
        for table in TABLES:
            rules = _run([tool, "-t", table, "-S"]).stdout.splitlines()
            for rule in rules:
                words = shlex.split(rule)
                if words[:1] == ["-A"] and not words[1].startswith(PREFIXES) and _target(words).startswith(PREFIXES):
                    _run([tool, "-t", table, "-D", *words[1:]])
            ours = [r.split()[1] for r in rules if r.startswith("-N ") and r.split()[1].startswith(PREFIXES)]
            for chain in ours:
                _run([tool, "-t", table, "-F", chain])
            for chain in ours:
                _run([tool, "-t", table, "-X", chain])
    for name in ipsets():
        _run(["ipset", "destroy", name])
