from django.urls import path

from analysis import api, openapi, pages

urlpatterns = [
    path("", pages.index, name="index"),
    path("api/jobs", api.jobs, name="api-jobs"),
    path("api/jobs/<str:job_id>", api.job_detail, name="api-job"),
    path("api/openapi.json", openapi.contract, name="api-openapi"),
]
