import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.redis]


def test_liveness_answers_for_any_host_header(client):
    # Kubelet probes send the pod IP as Host, which ALLOWED_HOSTS does not list.
    response = client.get("/healthz", HTTP_HOST="10.1.2.3:8000")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readiness_is_ok_when_postgres_and_redis_answer(client):
    response = client.get("/readyz", HTTP_HOST="10.1.2.3:8000")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readiness_names_each_failing_dependency(client, monkeypatch):
    from ops import health

    monkeypatch.setattr(
        health, "_redis_client", health.redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failing": ["redis"]}


def test_readiness_fails_until_the_schema_has_every_migration(client, monkeypatch):
    from ops import health

    # As in a fresh namespace: web is up before the migrate Job has finished.
    monkeypatch.setattr(health, "_migrated", False)
    monkeypatch.setattr(health.MigrationExecutor, "migration_plan", lambda self, targets: [("analysis", "0001")])
    response = client.get("/readyz", HTTP_HOST="10.1.2.3:8000")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failing": ["migrations"]}
    monkeypatch.undo()  # the migrations ran: ready, and the answer is kept
    monkeypatch.setattr(health, "_migrated", False)
    assert client.get("/readyz", HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert health._migrated is True


def test_readiness_names_migrations_the_database_has_and_the_code_lacks_but_stays_ready(client):
    from django.db import connection

    from ops import health

    # As after a branch switch: the other branch applied a migration this checkout does not have.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO django_migrations (app, name, applied) VALUES "
            "('analysis', '0099_from_another_branch', now()), ('an_app_not_installed', '0001_initial', now())"
        )
    response = client.get("/readyz", HTTP_HOST="10.1.2.3:8000")
    assert response.status_code == 200  # a rollback in prod must still serve
    assert response.json() == {
        "status": "ok",
        "unknown_migrations": ["analysis.0099_from_another_branch"],
        "fix": health.AHEAD_FIX,
    }
    assert "invoke db.restore NAME" in health.AHEAD_FIX and "invoke manage -- migrate APP TARGET" in health.AHEAD_FIX


def test_other_paths_still_validate_the_host(client):
    assert client.get("/api/jobs", HTTP_HOST="evil.example").status_code == 400
