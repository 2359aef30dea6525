"""`--fast-files FILE`: the fast tests' run skips importing test files known to hold none of them.

Selecting the fast tests with `-m` still imports every test module to read its markers: collecting them
all took 5.3 s of CPU where the 41 files that hold fast tests took 3.3 s, the rest spent importing
cluster, container and loopback modules only to deselect every test in them. So a run with
`--fast-files FILE` writes, for each test file it collected, whether any test of it was selected; the
next run does not collect a file recorded with none, as long as its size and mtime are as recorded.
Markers here are written in the test files themselves (tests/support/needs.py refuses a test that uses a
service unmarked), so a file's verdict changes only when it does; a change to any conftest.py, to the
ini file (pyproject.toml) or to the marker expression drops the whole record. A new file is always
collected. Only for a run that selects by markers and paths alone: `invoke test --unit` passes it, not
with --args.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

_stat_key = pytest.StashKey[dict]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fast-files",
        metavar="FILE",
        help="remember which test files hold no selected test, and skip them while unchanged (invoke test --unit)",
    )


def _stat(path: Path) -> list[int]:
    info = path.stat()
    return [info.st_mtime_ns, info.st_size]


def _fingerprint(config: pytest.Config) -> str:
    """What decides markers besides the test files: every conftest.py, the ini file (pyproject.toml here), the
    marker expression."""
    root = config.rootpath
    parts = [config.option.markexpr or ""]
    # Under the test paths only: all of the root would walk .venv too (a second here).
    conftests = [root / "conftest.py"] + [
        path for where in config.getini("testpaths") or ["."] for path in (root / where).glob("**/conftest.py")
    ]
    for path in sorted({*([config.inipath] if config.inipath else []), *conftests}):
        if path.is_file():
            parts.append(f"{path.relative_to(root)}:{_stat(path)}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _record_path(config: pytest.Config) -> Path | None:
    given = config.getoption("fast_files")
    return Path(given) if given else None


def pytest_configure(config: pytest.Config) -> None:
    record = _record_path(config)
    known: dict = {}
    fingerprint = _fingerprint(config) if record is not None else ""
    if record is not None:
        try:
            saved = json.loads(record.read_text())
            if saved.get("fingerprint") == fingerprint:
                known = saved["files"]
        except (OSError, ValueError, KeyError, TypeError):
            pass  # no record yet, or an unreadable one: collect everything and write it anew
    config.stash[_stat_key] = {"known": known, "seen": set(), "fingerprint": fingerprint}


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if _record_path(config) is None or not collection_path.is_file():
        return None
    state = config.stash[_stat_key]
    name = str(collection_path.relative_to(config.rootpath))
    verdict = state["known"].get(name)
    if verdict is not None and verdict["selected"] == 0 and verdict["stat"] == _stat(collection_path):
        return True  # still holds none: not imported, and remembered as it was
    return None


def pytest_collection_finish(session: pytest.Session) -> None:
    config = session.config
    record = _record_path(config)
    if record is None:
        return
    state = config.stash[_stat_key]
    selected: dict[str, int] = {}
    for item in session.items:
        name = str(item.path.relative_to(config.rootpath))
        selected[name] = selected.get(name, 0) + 1
    # What this run did not visit (a --changed run's other folders) is kept as known, while its file exists.
    files = {name: known for name, known in state["known"].items() if (config.rootpath / name).is_file()}
    for path in state["seen"]:
        name = str(path.relative_to(config.rootpath))
        files[name] = {"selected": selected.get(name, 0), "stat": _stat(path)}
    record.parent.mkdir(parents=True, exist_ok=True)
    temporary = record.with_name(f"{record.name}.{os.getpid()}.tmp")  # xdist's workers write side by side
    temporary.write_text(json.dumps({"fingerprint": state["fingerprint"], "files": files}, indent=1))
    os.replace(temporary, record)  # never a half-written record


def pytest_itemcollected(item: pytest.Item) -> None:
    if _record_path(item.config) is not None:
        item.config.stash[_stat_key]["seen"].add(item.path)
