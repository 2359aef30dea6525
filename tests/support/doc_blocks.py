"""The `sh` blocks of a Markdown page, by section, for tests that run a doc's commands exactly as written."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def sh_blocks(page: Path, section: str) -> list[str]:
    """The ```sh blocks under the `## ` heading that starts with SECTION, in order (none: a broken doc)."""
    blocks, current, inside, block = [], "", False, []
    for line in page.read_text().splitlines():
        if inside:
            if line.strip() == "```":
                if current.startswith(section):
                    blocks.append("\n".join(block) + "\n")
                inside, block = False, []
            else:
                block.append(line)
        elif line.startswith("## "):
            current = line[3:].strip()
        elif line.strip() == "```sh":
            inside = True
    if not blocks:
        raise AssertionError(f"{page} has no ```sh block under a heading starting {section!r}")
    return blocks


def run_as_written(block: str, cwd: Path, env: dict[str, str], timeout: float = 300) -> str:
    """BLOCK in bash as a reader pastes it, with the checkout's .venv first on PATH (as `. .venv/bin/activate`);
    its output, or AssertionError naming the block, the exit code and what it printed."""
    path = os.pathsep.join([str(cwd / ".venv" / "bin"), env.get("PATH", "")])
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block],
        cwd=cwd,
        env={**env, "PATH": path},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise AssertionError(f"exit {done.returncode} from\n{block}\n{done.stdout}{done.stderr}")
    return done.stdout
