"""A copy of app/ that a test edits, so the dev server or dev worker running from it sees real changes."""

from __future__ import annotations

import shutil
from pathlib import Path

from tasks.paths import APP


class AppCopy:
    def __init__(self, tmp_path: Path):
        self.app = tmp_path / "app"
        shutil.copytree(APP, self.app, ignore=shutil.ignore_patterns("__pycache__"))

    def edit(self, relative: str, old: str, new: str) -> None:
        path = self.app / relative
        source = path.read_text()
        assert source.count(old) == 1, f"{old!r} must occur once in {relative}"
        path.write_text(source.replace(old, new))

    def write(self, files: dict[str, bytes]) -> None:
        """Files as the bench's edits name them (app/...), written into the copy."""
        for name, content in files.items():
            (self.app / name.removeprefix("app/")).write_bytes(content)
