"""`invoke audit`: a known vulnerability fails unless accepted, with a reason, until a date; an audit that could
not reach its advisory source fails in one line instead of passing unaudited."""

import datetime
import os
import subprocess
import sys

import pytest
from invoke.exceptions import Exit

from tasks.checks.advisories import Allowed, Finding, allowed, findings, verdict
from tasks.paths import ROOT

TODAY = datetime.date(2026, 12, 6)
DJANGO = Finding("django", "5.2.19", "GHSA-aaaa-bbbb-cccc", ("CVE-2026-1234",), ("5.2.20",))


def accept(id_: str, expires: datetime.date) -> Allowed:
    return Allowed(id_, "django", "the admin is off", expires)


def test_an_unaccepted_vulnerability_fails_naming_the_package_the_fix_and_how_to_accept_it():
    failures, notes = verdict([DJANGO], [], TODAY)
    assert notes == [] and len(failures) == 1
    assert failures[0].startswith("django 5.2.19: GHSA-aaaa-bbbb-cccc (fixed in 5.2.20): upgrade it")
    assert "requirements/audit-allow.toml" in failures[0]


@pytest.mark.parametrize("id_", ["GHSA-aaaa-bbbb-cccc", "CVE-2026-1234"], ids=["by id", "by alias"])
def test_an_accepted_vulnerability_passes_until_its_date_and_fails_after(id_):
    assert verdict([DJANGO], [accept(id_, TODAY)], TODAY) == (
        [],
        ["django 5.2.19: GHSA-aaaa-bbbb-cccc (fixed in 5.2.20): accepted until 2026-12-06: the admin is off"],
    )
    failures, _ = verdict([DJANGO], [accept(id_, TODAY - datetime.timedelta(days=1))], TODAY)
    assert failures == [
        "django 5.2.19: GHSA-aaaa-bbbb-cccc (fixed in 5.2.20): accepted until 2026-12-05, which has "
        "passed; upgrade or renew it"
    ]


def test_an_acceptance_for_another_package_does_not_cover_this_one():
    other = Allowed("GHSA-aaaa-bbbb-cccc", "celery", "not ours", TODAY)
    assert len(verdict([DJANGO], [other], TODAY)[0]) == 1


def test_the_report_is_read_and_a_package_left_unaudited_fails_in_one_line():
    report = {
        "dependencies": [
            {
                "name": "django",
                "version": "5.2.19",
                "vulns": [{"id": "GHSA-aaaa-bbbb-cccc", "aliases": ["CVE-2026-1234"], "fix_versions": ["5.2.20"]}],
            },
            {"name": "celery", "version": "5.7.0", "vulns": []},
        ]
    }
    assert findings(report) == [DJANGO]
    report["dependencies"].append({"name": "kombu", "skip_reason": "Dependency not found on PyPI: kombu (5.7.0)"})
    with pytest.raises(Exit) as unaudited:
        findings(report)
    assert (
        "could not audit 1 of 3 pinned packages (Dependency not found on PyPI: kombu (5.7.0))"
        in unaudited.value.message
    )


@pytest.mark.parametrize(
    ("text", "wrong"),
    [
        ('[[allow]]\nid = "X"\npackage = "django"\nreason = "r"\n', "entry 1 needs exactly id, package, reason"),
        ('[[allow]]\nid = "X"\npackage = "django"\nreason = "r"\nexpires = "soon"\n', "expires (a date, 2027-01-31)"),
        ('[[allow]]\nid = "X"\npackage = "django"\nreason = ""\nexpires = 2027-01-01\n', "got ['expires', 'id'"),
        ("[[allow]\n", "cannot be read"),
    ],
    ids=["no expiry", "expiry not a date", "empty reason", "not TOML"],
)
def test_a_malformed_allow_file_fails_in_one_line_naming_it(tmp_path, text, wrong):
    path = tmp_path / "audit-allow.toml"
    path.write_text(text)
    with pytest.raises(Exit) as bad:
        allowed(path)
    assert bad.value.code == 2 and wrong in bad.value.message and "\n" not in bad.value.message


def test_the_projects_allow_file_is_well_formed():
    for entry in allowed():
        assert entry.expires >= TODAY, f"{entry.id} expired: renew or remove it"


@pytest.mark.slow  # a real pip-audit run, seconds of its own start-up
def test_invoke_audit_fails_in_one_line_when_the_advisory_source_is_out_of_reach():
    # A proxy on a closed loopback port: every request pip-audit makes fails, and nothing leaves the machine.
    closed = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}
    done = subprocess.run(
        [sys.executable, "-m", "invoke", "audit"],
        cwd=ROOT,
        env={**os.environ, **closed},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("audit: pip-audit failed without a report ("), done.stderr
    assert lines[0].endswith("the audit fails rather than pass unaudited")
