"""The images the test cluster itself runs, made from the kube kit's files and pushed to its registry:
pause (the sandbox image), CoreDNS, and busybox (tasks/cluster/images.py makes that one)."""

from __future__ import annotations

from tasks.cluster import registry
from tasks.cluster.images import Image, ensure_busybox, push
from tasks.cluster.layout import Layout
from tasks.cluster.progress import Log

PAUSE = ("pause", "3.9")
COREDNS = ("coredns", "v1.13.2")


def push_all(layout: Layout, log: Log) -> None:
    """pause (the sandbox image), coredns, and busybox (ensure_busybox)."""
    reg, kit = layout.registry, layout.kit_dir
    wanted = {
        PAUSE: Image(
            files={"pause": (kit / "images" / "pause" / "pause", 0o755)},
            config={"Entrypoint": ["/pause"], "User": "65535:65535"},
        ),
        COREDNS: Image(files={"coredns": (layout.bin_dir / "coredns", 0o755)}, config={"Entrypoint": ["/coredns"]}),
    }
    for (repo, tag), image in wanted.items():
        if not registry.has(reg, repo, tag):
            push(reg, repo, tag, image)
    ensure_busybox(layout, log)
    log(f"registry {reg}: pause, coredns, busybox pushed")
