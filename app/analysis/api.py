"""The JSON API: submit a text, read a job. Bad input gets a 4xx JSON error and stores nothing."""

import json
import uuid
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from analysis.models import Job
from analysis.tasks import enqueue

LIST_LIMIT = 50


class BadRequest(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def allow(*methods: str) -> Callable:
    """Like require_http_methods, but the 405 is JSON like every other API error."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> JsonResponse:
            if request.method not in methods:
                response = error(f"method {request.method} not allowed; use {', '.join(methods)}", 405)
                response["Allow"] = ", ".join(methods)
                return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def parse_submission(request: HttpRequest) -> str:
    """The submitted text, or BadRequest saying what is wrong with the body."""
    if request.content_type != "application/json":
        raise BadRequest("send a JSON body with Content-Type: application/json", 415)
    try:
        body = request.body
    except RequestDataTooBig:
        raise BadRequest(f"body too large: the limit is {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes", 413) from None
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("malformed JSON body") from None
    except RecursionError:  # json's decoder recurses once per level of [ or {
        raise BadRequest("JSON body nested too deeply") from None
    if not isinstance(payload, dict):
        raise BadRequest('the body must be a JSON object like {"text": "..."}')
    text = payload.get("text")
    if not isinstance(text, str):
        raise BadRequest('"text" is required and must be a string')
    if not text.strip():
        raise BadRequest('"text" must not be empty')
    if len(text) > settings.ANALYSIS_MAX_TEXT_CHARS:
        raise BadRequest(f'"text" is too long: the limit is {settings.ANALYSIS_MAX_TEXT_CHARS} characters', 413)
    # JSON may escape what PostgreSQL's text cannot hold: NUL, and UTF-16 halves that pair with nothing.
    if "\x00" in text:
        raise BadRequest('"text" must not contain NUL characters (\\u0000)')
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest('"text" must be valid Unicode: it has an unpaired surrogate (\\ud800-\\udfff)') from None
    return text


@csrf_exempt  # a token-less JSON API for programs; the HTML form keeps CSRF protection
@allow("GET", "POST")
def jobs(request: HttpRequest) -> JsonResponse:
    if request.method == "GET":
        return JsonResponse({"jobs": [job.as_dict() for job in Job.objects.all()[:LIST_LIMIT]]})
    try:
        text = parse_submission(request)
    except BadRequest as bad:
        return error(str(bad), bad.status)
    job = Job.objects.create(text=text)
    enqueue(job)
    return JsonResponse(job.as_dict(), status=202, headers={"Location": f"/api/jobs/{job.id}"})


@allow("GET")
def job_detail(request: HttpRequest, job_id: str) -> JsonResponse:
    try:
        job = Job.objects.get(pk=uuid.UUID(job_id))
    except (ValueError, Job.DoesNotExist):
        return error(f"no job with id {job_id!r}", 404)
    return JsonResponse(job.as_dict())
