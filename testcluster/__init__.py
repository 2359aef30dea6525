"""The test cluster for machines without kind: Kubernetes from the kube kit's binaries.

`invoke cluster.up` starts it where kind is not at hand (air-gapped CI); tasks/cluster reaches it only
through provider.py. What it does, and what `invoke cluster.down` removes: README.md beside this file.
"""
