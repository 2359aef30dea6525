from django.urls import path

from analysis import api, pages

urlpatterns = [
    path("", pages.index, name="index"),
    path("api/jobs", api.jobs, name="api-jobs"),
    path("api/jobs/<str:job_id>", api.job_detail, name="api-job"),
]
