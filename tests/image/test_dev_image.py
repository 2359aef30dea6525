"""shipyard-app:dev: runserver with the watchfiles reloader, debugpy, /app owned by uid 10001."""

import pytest

from tasks import ports
from tasks.image.docker_engine import inspect, run_in
from tests.image.contract import SETTINGS_ENV, UID, USER, WEB_DEV

pytestmark = pytest.mark.docker


def sh(image: str, script: str, **kwargs) -> str:
    result = run_in(image, "sh", "-c", script, **kwargs)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


def test_it_runs_as_uid_10001_with_the_contracts_command(dev_image):
    config = inspect(dev_image.tag)["Config"]
    assert config["User"] == USER
    assert config["Cmd"] == WEB_DEV
    assert {f"{ports.WEB}/tcp", f"{ports.DEBUGPY}/tcp"} <= set(config["ExposedPorts"])
    assert sh(dev_image.tag, "id -u") == UID


def test_the_dev_tools_are_installed(dev_image):
    out = sh(
        dev_image.tag,
        'python -c "import watchfiles, django_watchfiles, debugpy; print(debugpy.__version__)" && watchfiles --version',
    )
    assert len(out.splitlines()) == 2


def test_runserver_reloads_with_watchfiles_when_debug_is_on(dev_image):
    probe = (
        "import django; django.setup(); from django.utils import autoreload; "
        "print(type(autoreload.get_reloader()).__name__)"
    )
    assert sh(dev_image.tag, f'python -c "{probe}"', env={"DEBUG": "true"}) == "WatchfilesReloader"


def test_app_is_owned_and_writable_by_uid_10001(dev_image):
    # skaffold/Tilt sync files (new ones, new directories) into /app as this user.
    assert sh(dev_image.tag, f"find /app ! -uid {UID} | head -5") == ""
    script = "touch /app/manage.py /app/new.py && mkdir -p /app/analysis/new/deeper && echo ok"
    assert sh(dev_image.tag, script) == "ok"


def test_manage_py_check_passes(dev_image):
    out = sh(dev_image.tag, "python manage.py check", env=SETTINGS_ENV)
    assert out == "System check identified no issues (0 silenced)."


def test_the_dev_only_tools_are_in_the_image(dev_image):
    # What the dev overlay runs (python -m devtools.devserver / devtools.devworker); prod leaves them out.
    probe = "import devtools.devserver, devtools.devworker, devtools.warmfork; print('ok')"
    assert sh(dev_image.tag, f'python -c "{probe}"', env={"DEBUG": "true"}) == "ok"
