"""The image locks audited against PyPI's advisories (pip-audit), with the exceptions a team accepts on purpose.

requirements/audit-allow.toml lists each accepted vulnerability with a reason and an expiry date. A known
vulnerability not listed, or listed past its date, fails; so does an audit that could not reach its advisory
source for any package, because "nothing found" would then mean "nothing looked at".
"""

from __future__ import annotations

import datetime
import json
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path

from invoke.exceptions import Exit

from tasks.paths import ROOT, tool

LOCKS = ("requirements/app.txt", "requirements/dev.txt")  # what the images install; tools.txt stays on the host
ALLOW_FILE = ROOT / "requirements" / "audit-allow.toml"
FIELDS = {"id": str, "package": str, "reason": str, "expires": datetime.date}


@dataclass(frozen=True)
class Allowed:
    id: str
    package: str
    reason: str
    expires: datetime.date


@dataclass(frozen=True)
class Finding:
    package: str
    version: str
    id: str
    aliases: tuple[str, ...]
    fixed_in: tuple[str, ...]

    def names(self) -> set[str]:
        return {self.id, *self.aliases}


def allowed(path: Path = ALLOW_FILE) -> list[Allowed]:
    """The accepted vulnerabilities; Exit (one line) on a file or an entry that is not well formed."""
    name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    try:
        entries = tomllib.loads(path.read_text()).get("allow", [])
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise Exit(f"audit: {name} cannot be read: {error}; fix it (see its header for the format)", code=2) from None
    parsed = []
    for number, entry in enumerate(entries, 1):
        wrong = [key for key, kind in FIELDS.items() if not isinstance(entry.get(key), kind) or entry.get(key) == ""]
        if wrong or set(entry) - set(FIELDS):
            raise Exit(
                f"audit: {name}: [[allow]] entry {number} needs exactly id, package, reason (strings) and "
                f"expires (a date, 2027-01-31), got {sorted(entry)}; fix it",
                code=2,
            )
        parsed.append(Allowed(**entry))
    return parsed


def findings(report: dict) -> list[Finding]:
    """Every known vulnerability in pip-audit's JSON report; Exit (one line) if any package went unaudited."""
    skipped = [dep for dep in report.get("dependencies", []) if dep.get("skip_reason")]
    if skipped:
        first = skipped[0]["skip_reason"]
        raise Exit(
            f"audit: pip-audit could not audit {len(skipped)} of {len(report['dependencies'])} pinned packages "
            f"({first}): its advisory source (PyPI's JSON API) is out of reach from here, so the audit "
            "fails rather than pass unaudited",
            code=1,
        )
    return [
        Finding(dep["name"], dep["version"], v["id"], tuple(v.get("aliases", [])), tuple(v.get("fix_versions", [])))
        for dep in report.get("dependencies", [])
        for v in dep.get("vulns", [])
    ]


def verdict(found: list[Finding], accepted: list[Allowed], today: datetime.date) -> tuple[list[str], list[str]]:
    """(failures, notes): a finding nobody accepted, or accepted until a date now past, fails."""
    failures, notes = [], []
    for finding in found:
        match = next((a for a in accepted if a.package == finding.package and a.id in finding.names()), None)
        fix = f"fixed in {', '.join(finding.fixed_in)}" if finding.fixed_in else "no fixed release yet"
        what = f"{finding.package} {finding.version}: {finding.id} ({fix})"
        if match is None:
            failures.append(
                f"{what}: upgrade it (invoke lock --upgrade {finding.package}) or accept it in "
                f"{ALLOW_FILE.relative_to(ROOT)} with a reason and an expiry date"
            )
        elif match.expires < today:
            failures.append(f"{what}: accepted until {match.expires}, which has passed; upgrade or renew it")
        else:
            notes.append(f"{what}: accepted until {match.expires}: {match.reason}")
    return failures, notes


def report(timeout: float = 600) -> dict:
    """pip-audit's JSON report on the image locks, exactly as pinned (no resolution, no install)."""
    argv = [tool("pip-audit"), "--no-deps", "--disable-pip", "--format", "json", "--progress-spinner", "off"]
    for lock in LOCKS:
        argv += ["-r", lock]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    try:
        return json.loads(done.stdout)
    except ValueError:
        errors = [line for line in done.stderr.splitlines() if line.strip()]
        raise Exit(
            f"audit: pip-audit failed without a report ({errors[-1] if errors else f'exit {done.returncode}'}):"
            " its advisory source may be out of reach; the audit fails rather than pass unaudited",
            code=1,
        ) from None
