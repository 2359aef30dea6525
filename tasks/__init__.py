"""invoke tasks, one collection per concern: `invoke --list` shows them all."""

from invoke import Collection

from tasks import services
from tasks.test import test

ns = Collection(test, services)
