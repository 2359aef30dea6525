import pytest


@pytest.fixture(autouse=True)
def _plain_static_storage(settings) -> None:
    # In-process tests run without collectstatic, so there is no manifest to look names up in.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
