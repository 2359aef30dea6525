"""The debootstrap mirror comes from the host's apt configuration, in either file format."""

from pathlib import Path

from tasks.image.apt_sources import AptSource, for_suite, host_sources, mirror_for

DEB822 = """\
Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://mirror.internal/debian
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://mirror.internal/debian
Suites: bookworm
Components: main

Types: deb
URIs: http://mirror.internal/debian-security
Suites: bookworm-security
Components: main
"""
ONE_LINE = """\
# a comment
deb [arch=amd64 signed-by=/etc/apt/keyrings/other.gpg] https://apt.example/ cloud-sdk-bookworm main
deb http://old.mirror/debian bullseye main
"""


def write_apt_dir(root: Path) -> Path:
    (root / "sources.list.d").mkdir(parents=True)
    (root / "sources.list").write_text(ONE_LINE)
    (root / "sources.list.d" / "debian.sources").write_text(DEB822)
    (root / "sources.list.d" / "nodesource.sources.disabled").write_text(DEB822.replace("mirror.internal", "nope"))
    return root


def test_both_formats_are_read_and_deb_src_or_disabled_files_are_not(tmp_path):
    sources = host_sources(write_apt_dir(tmp_path))
    assert [s.uri for s in sources] == [
        "https://apt.example/",
        "http://old.mirror/debian",
        "http://mirror.internal/debian",
        "http://mirror.internal/debian-security",
    ]
    assert sources[0] == AptSource(
        "https://apt.example/", ("cloud-sdk-bookworm",), ("main",), "/etc/apt/keyrings/other.gpg"
    )


def test_the_mirror_is_the_one_serving_the_suite_itself(tmp_path):
    sources = host_sources(write_apt_dir(tmp_path))
    assert mirror_for(sources, "bookworm") == "http://mirror.internal/debian"
    assert mirror_for(sources, "trixie") == ""


def test_the_image_gets_the_release_and_its_update_suites_only(tmp_path):
    picked = for_suite(host_sources(write_apt_dir(tmp_path)), "bookworm")
    assert [(s.uri, s.suites) for s in picked] == [
        ("http://mirror.internal/debian", ("bookworm", "bookworm-updates")),
        ("http://mirror.internal/debian-security", ("bookworm-security",)),
    ]
    assert picked[0].deb822() == (
        "Types: deb\nURIs: http://mirror.internal/debian\nSuites: bookworm bookworm-updates\n"
        "Components: main contrib\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
    )
