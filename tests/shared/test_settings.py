"""tasks/shared/settings.py: flags, else shared.toml, else the defaults; a bad file is one line."""

from __future__ import annotations

import pytest

from tasks.shared.errors import SharedError
from tasks.shared.settings import read, resolve, shared_wanted


@pytest.fixture(autouse=True)
def user(monkeypatch):
    monkeypatch.setenv("USER", "alice")


def test_no_file_no_settings(tmp_path):
    assert read(tmp_path / "shared.toml") == {}


def test_flags_win_over_the_file_and_the_file_over_the_defaults(tmp_path):
    path = tmp_path / "shared.toml"
    path.write_text('registry = "registry.example.com/team"\ncontext = "team-dev"\n')
    from_file = resolve(True, path=path)
    assert (from_file.namespace, from_file.registry, from_file.context) == (
        "dev-alice",
        "registry.example.com/team",
        "team-dev",
    )
    assert from_file.registry_host == "registry.example.com"
    flags = resolve("dev-a2", "127.0.0.1:5001/", "other", path=path)
    assert (flags.namespace, flags.registry, flags.context) == ("dev-a2", "127.0.0.1:5001", "other")
    path.write_text('registry = "r.example.com"\nnamespace = "dev-alice-2"\n')
    assert resolve(True, path=path).namespace == "dev-alice-2"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("registry = ", "shared.toml is not valid TOML"),
        ('registri = "x"', "shared.toml: unknown setting 'registri': the settings are context, registry, namespace"),
        ("registry = 5000", 'shared.toml: registry must be a string, e.g. registry = "..."'),
    ],
)
def test_a_bad_file_is_one_line_naming_it(tmp_path, text, line):
    path = tmp_path / "shared.toml"
    path.write_text(text)
    with pytest.raises(SharedError) as refused:
        read(path)
    assert str(refused.value).startswith(line) and "\n" not in str(refused.value)


def test_no_registry_or_one_with_a_scheme_is_one_line_with_the_fix(tmp_path):
    with pytest.raises(SharedError, match=r"^no registry for the shared cluster: pass --registry HOST"):
        resolve(True, path=tmp_path / "shared.toml")
    with pytest.raises(SharedError, match=r"give it without a scheme, e\.g\. --registry registry\.example\.com/team$"):
        resolve(True, "https://registry.example.com", path=tmp_path / "shared.toml")
    assert resolve(True, need_registry=False, path=tmp_path / "shared.toml").registry == ""


def test_the_doctor_checks_a_shared_cluster_only_for_a_namespace_with_a_registry(tmp_path):
    path = tmp_path / "shared.toml"
    assert not shared_wanted("dev-alice", "", path)  # a running local loop's namespace, as before
    assert shared_wanted("dev-alice", "r.example.com", path)
    assert not shared_wanted("", "r.example.com", path)
    path.write_text('registry = "r.example.com"\n')
    assert shared_wanted(True, "", path)
