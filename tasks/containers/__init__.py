"""Pods from rendered manifests run as Docker containers, and edits synced into them (no tasks of its own)."""
