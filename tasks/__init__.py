"""invoke tasks, one collection per concern: `invoke --list` shows them all."""

from invoke import Collection

from tasks import image, k8s, services
from tasks.devloop import doctor, down, up
from tasks.test import test

ns = Collection(test, up, down, doctor, services, image, k8s)
