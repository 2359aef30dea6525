"""The tar-based sync of skaffold and Tilt lives in tasks/containers/filesync.py (the benchmark uses it too)."""

from tasks.containers.filesync import SKAFFOLD_UNTAR, TILT_UNTAR, edited, sync, tar_of

__all__ = ["SKAFFOLD_UNTAR", "TILT_UNTAR", "edited", "sync", "tar_of"]
