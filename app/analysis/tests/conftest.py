import pytest
import redis
from django.conf import settings


@pytest.fixture
def broker() -> redis.Redis:
    """The test Redis database the Celery broker publishes to, emptied first."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.flushdb()
    yield client
    client.flushdb()


def queued_job_ids(broker: redis.Redis) -> list[str]:
    """Job ids of the analyse_text messages waiting in the default queue."""
    import json

    ids = []
    for raw in broker.lrange("celery", 0, -1):
        message = json.loads(raw)
        if message["headers"]["task"] == "analysis.analyse_text":
            ids.append(message["headers"]["argsrepr"].strip("(),'\""))
    return ids
