"""What stops the loop on a shared cluster: one line for the user, exit code 1, nothing deployed."""

from __future__ import annotations

from tasks.cluster.progress import ClusterError


class SharedError(ClusterError):
    """One line naming what is wrong and the fix."""
