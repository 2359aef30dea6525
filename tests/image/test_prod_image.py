"""shipyard-app:prod runs as uid 10001 on a read-only root, with everything built in advance."""

import json

import pytest

from tasks import ports
from tasks.image.docker_engine import image_size, inspect, run_in
from tests.image.certs import ders, host_only_cas, needles
from tests.image.contract import SETTINGS_ENV, UID, USER, WEB_PROD
from tests.image.filesystem import layer_paths, read_file, regular_files
from tests.support.needs import need

pytestmark = pytest.mark.docker

COMPILERS = ("cc", "gcc", "c++", "g++", "clang", "ld", "as", "make")


def sh(image: str, script: str, **kwargs) -> str:
    result = run_in(image, "sh", "-c", script, **kwargs)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


def test_it_runs_as_uid_10001(prod_image):
    assert sh(prod_image.tag, "id -u; id -g").split() == [UID, UID]


def test_its_config_follows_the_runtime_contract(prod_image):
    config = inspect(prod_image.tag)["Config"]
    env = dict(item.split("=", 1) for item in config["Env"])
    assert config["User"] == USER
    assert config["Cmd"] == WEB_PROD  # exec form: gunicorn is PID 1 and gets SIGTERM
    assert not config.get("Entrypoint")  # so a manifest's `command` replaces it whole
    assert config["WorkingDir"] == "/app"
    assert f"{ports.WEB}/tcp" in config["ExposedPorts"]
    assert env["PATH"].startswith("/opt/venv/bin:")
    assert env["DJANGO_SETTINGS_MODULE"] == "config.settings"
    assert env["PYTHONDONTWRITEBYTECODE"] == env["PYTHONUNBUFFERED"] == "1"
    # The build-time throwaway settings and the CA path must not outlive their RUN.
    assert not {*SETTINGS_ENV, "PIP_CERT"} & set(env)


def test_the_runtime_dependencies_import_and_django_checks_pass_read_only(prod_image):
    out = sh(
        prod_image.tag,
        'python -c "import django, celery, psycopg2, gunicorn, whitenoise, redis, environ; print(django.VERSION[:2])"'
        " && python manage.py check",
        env=SETTINGS_ENV,
        read_only=True,
    )
    assert out.splitlines() == ["(5, 2)", "System check identified no issues (0 silenced)."]


def test_there_is_no_compiler_and_no_installer(prod_image):
    found = sh(prod_image.tag, " ; ".join(f"command -v {tool} || true" for tool in COMPILERS))
    assert found == ""
    assert (
        sh(
            prod_image.tag,
            "ls /opt/venv/lib/python3.11/site-packages | grep -Ei '^(pip|setuptools|wheel)[-_.]' || true",
        )
        == ""
    )


def test_code_is_owned_by_root_and_not_writable_by_the_app_user(prod_image):
    assert sh(prod_image.tag, "find /app /opt/venv ! -user root | head -5") == ""
    assert run_in(prod_image.tag, "touch", "/app/manage.py").returncode != 0


def test_the_apps_tests_are_not_in_the_image(prod_image):
    assert sh(prod_image.tag, "find /app -name tests -o -name 'test_*.py' -o -name conftest.py") == ""


def test_static_files_are_collected_with_a_manifest(prod_image):
    manifest = json.loads(read_file(prod_image.tag, "/app/staticfiles/staticfiles.json"))
    hashed = manifest["paths"]["admin/css/base.css"]
    assert hashed != "admin/css/base.css"
    probe = "from django.templatetags.static import static; print(static('admin/css/base.css'))"
    url = sh(
        prod_image.tag,
        f'python -c "import django; django.setup(); {probe}"',
        env=SETTINGS_ENV,
        read_only=True,
    )
    assert url == f"/static/{hashed}"


def test_every_module_has_its_bytecode(prod_image):
    script = (
        "import importlib.util, pathlib; "
        "missing = [str(p) for root in ('/app', '/opt/venv/lib') for p in pathlib.Path(root).rglob('*.py') "
        "if not pathlib.Path(importlib.util.cache_from_source(str(p))).is_file()]; "
        "print(len(missing), missing[:5])"
    )
    assert sh(prod_image.tag, f'python -c "{script}"') == "0 []"


def test_importing_the_app_writes_no_bytecode(prod_image):
    # As root and with writing allowed, Python would write any .pyc that is missing or stale;
    # none written means the read-only root filesystem never needs to.
    imports = (
        "import django, importlib, pkgutil; django.setup(); "
        "[importlib.import_module(m.name) for m in pkgutil.walk_packages(['/app']) if m.name != 'conftest']; "
        "import config.wsgi, gunicorn.app.wsgiapp, celery.bin.celery, kombu.transport.redis, psycopg2.extras"
    )
    written = sh(
        prod_image.tag,
        f'touch /tmp/before && python -c "{imports}" && find /app /opt/venv -name "*.pyc" -newer /tmp/before',
        env={**SETTINGS_ENV, "PYTHONDONTWRITEBYTECODE": ""},
        user="0",
    )
    assert written == ""


def test_prod_is_at_most_80_mb_over_its_base(prod_image):
    assert image_size(prod_image.tag) - image_size(prod_image.base_image) <= 80_000_000


def test_the_ca_bundle_is_debians_own(prod_image):
    bundle = ders(read_file(prod_image.tag, "/etc/ssl/certs/ca-certificates.crt") or b"")
    shipped = sh(prod_image.tag, "cat /usr/share/ca-certificates/*/*.crt").encode()
    assert bundle and set(bundle) <= set(ders(shipped))


def test_no_host_only_ca_is_anywhere_in_the_image(prod_image):
    # The build is given the host's whole bundle; only a CA beyond Debian's can show that none stayed.
    marks = [needle for der in host_only_cas() for needle in needles(der)]
    fix = "add one to /usr/local/share/ca-certificates, run update-ca-certificates (the GitHub workflow does)"
    need("a CA this host trusts beyond Debian's", bool(marks), fix)
    found = [path for path, content in regular_files(prod_image.tag) if any(m in content for m in marks)]
    assert found == []


def test_the_dev_only_tools_are_in_no_layer(prod_image):
    # app/devtools/ (the warm-fork dev server and worker) is left out in the Dockerfile's prod-app
    # stage, which prod copies from: absent from the filesystem and from every layer below it.
    listing = sh(prod_image.tag, "ls -A /app").split()
    assert "config" in listing and "devtools" not in listing
    assert [path for path in layer_paths(prod_image.tag) if path.startswith("app/devtools")] == []
