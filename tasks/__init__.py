"""invoke tasks, one collection per concern: `invoke --list` shows them all."""

from invoke import Collection

from tasks import image, k8s, services
from tasks.bench import bench
from tasks.devloop import doctor, down, up
from tasks.promote import promote
from tasks.test import test

ns = Collection(test, up, down, doctor, promote, services, image, k8s, bench)
