"""The air-gapped base image: Debian bookworm's own Python 3.11, built with debootstrap.

For hosts that reach a Debian mirror but no container registry (this one, CI, users behind
a firewall). `ensure_base()` is a no-op when the image exists; `force=True` rebuilds it.
The rootfs is minbase plus the packages below, upgraded from the host's -security/-updates
suites, with apt lists, docs, man pages and translations removed, then `docker import`ed.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tasks.image import apt_sources
from tasks.image.docker_engine import (
    DockerError,
    Log,
    docker,
    image_exists,
    image_id,
    image_size,
    mib,
    remove_if_dangling,
    say,
)

BASE_TAG = "shipyard-base:bookworm"
SUITE = "bookworm"
# What the app stages need from the OS: an interpreter, venv (with its bundled pip wheel),
# the CA bundle for TLS, and zoneinfo. Everything else comes with --variant=minbase.
PACKAGES = ("python3", "python3-venv", "ca-certificates", "tzdata")
CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "shipyard"

# Also written into the image, so a derived image's `apt-get install` stays slim too.
DPKG_EXCLUDES = """\
# shipyard-base: no docs, man pages or translations (copyright notices stay).
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
"""
APT_CONF = 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\nAcquire::Languages "none";\n'
SLIM_GLOBS = (
    "var/lib/apt/lists/*",
    "var/cache/apt/*",
    "var/cache/debconf/*-old",
    "var/cache/ldconfig/aux-cache",
    "var/lib/dpkg/*-old",
    "usr/share/man/*",
    "usr/share/info/*",
    "usr/share/locale/*",
    "usr/share/lintian/*",
    "tmp/*",
    "root/.cache",
)
IMAGE_CHANGES = (
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    # The only locale in the image; libc ships it, so no `locales` package is needed.
    "ENV LANG=C.UTF-8",
    'CMD ["python3"]',
)


def ensure_base(force: bool = False, tag: str = BASE_TAG, log: Log = say) -> str:
    """Build the debootstrap base image unless it exists (or force); return its image id."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    # Two callers at once (two test runs, a test and a task) build it once, not twice.
    with open(CACHE_DIR / "base.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        previous = image_id(tag) if image_exists(tag) else None
        if previous and not force:
            log(f"{tag} exists ({mib(image_size(tag))}); nothing to do (--force rebuilds it)")
            return previous
        new_id = build_base(tag, log)
        if previous and previous != new_id:
            remove_if_dangling(previous)
        return new_id


def build_base(tag: str = BASE_TAG, log: Log = say) -> str:
    """Bootstrap, slim and import the rootfs; tag only once the image has passed a smoke test."""
    _preflight()
    sources = apt_sources.host_sources()
    mirror = apt_sources.mirror_for(sources, SUITE)
    if not mirror:
        raise DockerError(f"no Debian {SUITE} mirror in /etc/apt/sources.list(.d): add one, e.g. debian.sources")
    started = time.monotonic()
    with _workdir() as work:
        rootfs = work / "rootfs"
        log(f"[1/5] debootstrap {SUITE} from {mirror} (+ {', '.join(PACKAGES)})")
        _check_call(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={','.join(PACKAGES)}",
                "--components=main",
                f"--cache-dir={_debootstrap_cache()}",
                SUITE,
                str(rootfs),
                mirror,
            ],
            "debootstrap",
        )
        log("[2/5] configure apt/dpkg and apply -updates/-security from the host's mirrors")
        _configure(rootfs, apt_sources.for_suite(sources, SUITE))
        _upgrade(rootfs)
        log("[3/5] slim: apt lists, caches, docs, man pages, translations, logs")
        _slim(rootfs)
        log(f"[4/5] import into Docker as {tag}")
        new_id = _import(rootfs, mirror)
    log("[5/5] smoke test: python3, venv, ssl with the CA bundle")
    _smoke_test(new_id)
    docker("tag", new_id, tag)
    log(f"{tag}: {mib(image_size(tag))}, built in {time.monotonic() - started:.0f}s")
    return new_id


def _preflight() -> None:
    if os.geteuid() != 0:
        raise DockerError("debootstrap needs root: run it with sudo, or pass --online to use the official image")
    if shutil.which("debootstrap") is None:
        raise DockerError(
            "debootstrap is not installed: apt-get install debootstrap, or pass --online to use the official image"
        )


def _debootstrap_cache() -> Path:
    # Downloaded .debs survive a --force rebuild, so only the first build fetches them.
    path = CACHE_DIR / "debootstrap"
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def _workdir() -> Iterator[Path]:
    """A scratch directory on disk (a rootfs is too big for a tmpfs /tmp), always removed."""
    work = Path(tempfile.mkdtemp(prefix="rootfs-", dir=CACHE_DIR))
    try:
        yield work
    finally:
        _unmount_under(work)
        shutil.rmtree(work, ignore_errors=True)


def _unmount_under(path: Path) -> None:
    # debootstrap or our chroot may leave /proc or /sys mounted inside after a failure;
    # removing the tree through a live mount would be wrong, so unmount first, deepest first.
    mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
    for mount in sorted((m for m in mounts if m.startswith(f"{path}/")), key=len, reverse=True):
        subprocess.run(["umount", "-l", mount], check=False)


def _check_call(argv: list[str], what: str, **kwargs) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        tail = (result.stderr.strip() or result.stdout.strip()).splitlines()[-1:] or ["no output"]
        raise DockerError(f"{what} failed (exit {result.returncode}): {tail[0]}")


def _configure(rootfs: Path, sources: list[apt_sources.AptSource]) -> None:
    (rootfs / "etc/dpkg/dpkg.cfg.d/shipyard-slim").write_text(DPKG_EXCLUDES)
    (rootfs / "etc/apt/apt.conf.d/90shipyard").write_text(APT_CONF)
    (rootfs / "etc/apt/sources.list").unlink(missing_ok=True)
    (rootfs / "etc/apt/sources.list.d/debian.sources").write_text("\n".join(s.deb822() for s in sources))


def _upgrade(rootfs: Path) -> None:
    # The chroot resolves the mirror as the host does (its /etc/hosts and resolv.conf);
    # both are replaced by neutral files before import, so nothing host-specific ships.
    for name in ("hosts", "resolv.conf"):
        target = rootfs / "etc" / name
        target.unlink(missing_ok=True)
        shutil.copyfile(Path("/etc") / name, target)
    env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
    _check_call(["chroot", str(rootfs), "apt-get", "update", "-q"], "apt-get update (in the rootfs)", env=env)
    _check_call(
        ["chroot", str(rootfs), "apt-get", "-y", "-q", "-o", "Dpkg::Options::=--force-confold", "upgrade"],
        "apt-get upgrade (in the rootfs)",
        env=env,
    )
    _check_call(["chroot", str(rootfs), "apt-get", "clean"], "apt-get clean (in the rootfs)", env=env)


def _slim(rootfs: Path) -> None:
    for pattern in SLIM_GLOBS:
        for path in rootfs.glob(pattern):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
    # Logs of the bootstrap itself: empty the files, keep the directories apt and dpkg expect.
    for path in (rootfs / "var/log").rglob("*"):
        if path.is_file() or path.is_symlink():
            path.unlink()
    doc = rootfs / "usr/share/doc"
    for path in sorted(doc.rglob("*"), reverse=True):
        if path.name == "copyright" or (path.is_dir() and any(path.iterdir())):
            continue
        path.rmdir() if path.is_dir() and not path.is_symlink() else path.unlink()
    (rootfs / "etc/hosts").write_text("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
    (rootfs / "etc/resolv.conf").write_text("")
    (rootfs / "etc/hostname").unlink(missing_ok=True)
    (rootfs / "var/cache/apt/archives/partial").mkdir(parents=True, exist_ok=True)


def _import(rootfs: Path, mirror: str) -> str:
    """Stream the rootfs into `docker import`; returns the untagged image id."""
    # --sort=name and numeric owners keep the layer stable across hosts; mtimes are kept
    # because the stdlib's .pyc files are validated against their sources' mtimes.
    tar = subprocess.Popen(
        ["tar", "--numeric-owner", "--sort=name", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE
    )
    argv = ["docker", "import", "--message", f"shipyard-base: debootstrap {SUITE} minbase from {mirror}"]
    for change in IMAGE_CHANGES:
        argv += ["--change", change]
    result = subprocess.run([*argv, "-"], stdin=tar.stdout, capture_output=True, text=True)
    tar.stdout.close()
    if tar.wait() != 0 or result.returncode != 0:
        raise DockerError(f"docker import failed: {result.stderr.strip() or 'tar of the rootfs failed'}")
    return result.stdout.strip()


def _smoke_test(ref: str) -> None:
    probe = (
        "import ssl, sys, venv, zoneinfo; "
        "assert sys.version_info[:2] == (3, 11), sys.version; "
        "ctx = ssl.create_default_context(); "
        "assert ctx.cert_store_stats()['x509_ca'] > 0, 'no CA certificates'; "
        "zoneinfo.ZoneInfo('Europe/Paris')"
    )
    result = subprocess.run(
        ["docker", "run", "--rm", "--network", "none", ref, "python3", "-c", probe], capture_output=True, text=True
    )
    if result.returncode != 0:
        subprocess.run(["docker", "image", "rm", ref], capture_output=True)
        raise DockerError(f"the new base image failed its smoke test: {result.stderr.strip().splitlines()[-1:]}")
