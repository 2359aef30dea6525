"""Where things are, relative to the repository root."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"
STATE = ROOT / ".state"  # logs and pid files of services started here (git-ignored)
