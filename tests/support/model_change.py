"""A model change as a developer makes one: a field on Job, shown by the API, and the migration that adds it."""

from __future__ import annotations

from tasks.paths import APP

MODELS = "analysis/models.py"
ATTEMPTS_FIELD = "    attempts = models.PositiveIntegerField(default=0)\n"
ATTEMPTS_JSON = '            "attempts": self.attempts,\n'


def field_edit(name: str, default: str) -> dict[str, bytes]:
    """app/analysis/models.py with a CharField NAME (default DEFAULT) on Job, in its as_dict too."""
    source = (APP / MODELS).read_text()
    assert source.count(ATTEMPTS_FIELD) == 1 and source.count(ATTEMPTS_JSON) == 1, f"{MODELS} changed: update me"
    field = f'    {name} = models.CharField(max_length=40, default="{default}")\n'
    source = source.replace(ATTEMPTS_FIELD, ATTEMPTS_FIELD + field)
    source = source.replace(ATTEMPTS_JSON, f'{ATTEMPTS_JSON}            "{name}": self.{name},\n')
    return {f"app/{MODELS}": source.encode()}


def migration(name: str, default: str) -> dict[str, bytes]:
    """The migration `makemigrations` would write for field_edit(NAME, DEFAULT), after 0001_initial."""
    text = f'''from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("analysis", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="job", name="{name}", field=models.CharField(default="{default}", max_length=40)
        ),
    ]
'''
    return {f"app/analysis/migrations/0002_job_{name}.py": text.encode()}


def listed(jobs: dict | None, name: str) -> object:
    """Field NAME of the newest job in a GET /api/jobs answer; None when there is none, or no such field."""
    newest = ((jobs or {}).get("jobs") or [{}])[0]
    return newest.get(name)
