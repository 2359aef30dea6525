"""shipyard-base:bookworm: Debian's Python 3.11 and CA bundle, nothing else worth its bytes."""

import pytest

from tasks.image import debian_base
from tasks.image.docker_engine import image_id, image_size, run_in
from tests.image.filesystem import read_file

pytestmark = pytest.mark.docker


def sh(image: str, script: str) -> str:
    result = run_in(image, "sh", "-c", script)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_python_is_debian_3_11_with_venv(base_image):
    assert sh(base_image, "python3 -c 'import sys; print(sys.version_info[:2])'") == "(3, 11)"
    assert sh(base_image, "python3 -m venv /tmp/v && /tmp/v/bin/python -c 'import pip; print(1)'") == "1"


def test_the_ca_bundle_is_there_and_python_uses_it(base_image):
    count = int(sh(base_image, "grep -c 'BEGIN CERTIFICATE' /etc/ssl/certs/ca-certificates.crt"))
    assert count > 100
    loaded = sh(
        base_image, "python3 -c 'import ssl; print(ssl.create_default_context().cert_store_stats()[\"x509_ca\"])'"
    )
    assert int(loaded) == count


def test_it_is_slim(base_image):
    leftovers = sh(
        base_image,
        "find /var/lib/apt/lists /var/cache/apt/archives -type f -name '*_*'; "
        "find /usr/share/man /usr/share/locale /usr/share/info -type f; "
        "find /usr/share/doc -type f ! -name copyright",
    )
    assert leftovers == ""
    packages = sh(base_image, "dpkg-query -W -f '${Package}\\n'").split()
    assert not {"gcc", "cpp", "make", "libc6-dev", "python3-dev", "python3-pip", "curl", "wget"} & set(packages)
    assert image_size(base_image) < 150 * 1024 * 1024


def test_nothing_of_the_bootstrap_host_is_left_in_etc(base_image):
    # The chroot used the host's name resolution to reach the mirror; the image must not keep it.
    hosts = read_file(base_image, "/etc/hosts").decode()
    assert [line.split()[0] for line in hosts.splitlines() if line.strip()] == ["127.0.0.1", "::1"]
    assert read_file(base_image, "/etc/resolv.conf") == b""
    assert read_file(base_image, "/etc/hostname") is None


def test_ensure_base_is_a_no_op_when_the_image_exists(base_image):
    before = image_id(base_image)
    lines: list[str] = []
    assert debian_base.ensure_base(log=lines.append) == before  # its one line below says it built nothing
    assert image_id(base_image) == before
    assert len(lines) == 1 and "nothing to do" in lines[0]
