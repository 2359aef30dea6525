"""The JSON API's contract, OpenAPI 3.1, served at /api/openapi.json.

Written by hand beside the views it describes; tests/api fuzzes the running stack against it
(schemathesis), so a view that answers what this does not say fails there.
"""

from django.conf import settings
from django.http import HttpRequest, JsonResponse

from analysis.api import allow


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _error(description: str) -> dict:
    return {"description": description, "content": _json({"$ref": "#/components/schemas/Error"})}


REQUEST_ID = {
    "name": "X-Request-ID",
    "in": "header",
    "required": False,
    "description": "Kept and returned when well formed (1-128 of A-Z a-z 0-9 . _ : -, starting alphanumeric); "
    "otherwise a new one is made. It follows the job into its Celery task's logs.",
    "schema": {"type": "string"},
}
# What api.py's `text.strip()` strips: Python's whitespace, not JSON Schema's `\s` (ECMA-262), which leaves out
# \x1c-\x1f and \x85 (so "\x1e" matched `\s`-based patterns yet was refused as empty) and takes in \ufeff.
WHITESPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
UUID = {"type": "string", "format": "uuid"}
COUNT = {"type": "integer", "minimum": 0}
RESULT_INTEGERS = ("characters", "words", "unique_words", "sentences", "reading_seconds")  # analysis.text.analyse
REQUEST_ID_ECHO = {"X-Request-ID": {"description": "The request's id", "schema": {"type": "string"}}}


def _answer(description: str, schema: str) -> dict:
    return {
        "description": description,
        "headers": REQUEST_ID_ECHO,
        "content": _json({"$ref": f"#/components/schemas/{schema}"}),
    }


def document() -> dict:
    unavailable = _error("PostgreSQL or Redis is unreachable; retry after the Retry-After header's seconds")
    return {
        "openapi": "3.1.0",
        "info": {"title": "shipyard analysis API", "version": "1"},
        "paths": {
            "/api/jobs": {
                "get": {
                    "operationId": "listJobs",
                    "summary": "The latest jobs, newest first (at most 50)",
                    "parameters": [REQUEST_ID],
                    "responses": {"200": _answer("The latest jobs", "JobList"), "503": unavailable},
                },
                "post": {
                    "operationId": "submitJob",
                    "summary": "Submit a text; a Celery task analyses it",
                    "parameters": [REQUEST_ID],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Submission"}}},
                    },
                    "responses": {
                        "202": {
                            **_answer("Accepted: stored and queued", "Job"),
                            "headers": {**REQUEST_ID_ECHO, "Location": {"schema": {"type": "string"}}},
                        },
                        "400": _error("Not a JSON object with a non-empty text PostgreSQL can store"),
                        "413": _error("The body or the text is over its limit"),
                        "415": _error("Not sent as application/json"),
                        "503": unavailable,
                    },
                },
            },
            "/api/jobs/{job_id}": {
                "get": {
                    "operationId": "getJob",
                    "summary": "One job",
                    "parameters": [
                        {"name": "job_id", "in": "path", "required": True, "schema": UUID},
                        REQUEST_ID,
                    ],
                    "responses": {"200": _answer("The job", "Job"), "404": _error("No such job"), "503": unavailable},
                },
            },
            "/api/openapi.json": {
                "get": {
                    "operationId": "getContract",
                    "summary": "This document",
                    "parameters": [REQUEST_ID],
                    "responses": {
                        "200": {
                            "description": "OpenAPI 3.1",
                            "headers": REQUEST_ID_ECHO,
                            "content": _json({"type": "object"}),
                        }
                    },
                },
            },
        },
        "components": {
            "schemas": {
                "Submission": {
                    "type": "object",
                    "required": ["text"],
                    "properties": {
                        # Something besides whitespace, no NUL (PostgreSQL's text cannot hold one): api.py's rules.
                        "text": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": settings.ANALYSIS_MAX_TEXT_CHARS,
                            "pattern": f"^[^\\u0000]*[^{WHITESPACE}\\u0000][^\\u0000]*$",
                        },
                    },
                },
                "Job": {
                    "type": "object",
                    "required": ["id", "status", "result", "error", "attempts", "created_at", "finished_at"],
                    "additionalProperties": False,
                    "properties": {
                        "id": UUID,
                        "status": {"enum": ["pending", "running", "done", "failed"]},
                        "result": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Result"}]},
                        "error": {"type": ["string", "null"]},
                        "attempts": COUNT,
                        "created_at": {"type": "string", "format": "date-time"},
                        "finished_at": {"type": ["string", "null"], "format": "date-time"},
                    },
                },
                "Result": {
                    "type": "object",
                    "required": [*RESULT_INTEGERS, "average_word_length", "top_words"],
                    "properties": {
                        **{name: COUNT for name in RESULT_INTEGERS},
                        "average_word_length": {"type": "number", "minimum": 0},
                        "top_words": {
                            "type": "array",
                            "items": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}]},
                        },
                    },
                },
                "JobList": {
                    "type": "object",
                    "required": ["jobs"],
                    "additionalProperties": False,
                    "properties": {"jobs": {"type": "array", "items": {"$ref": "#/components/schemas/Job"}}},
                },
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "string"}, "dependency": {"enum": ["postgresql", "redis"]}},
                },
            },
        },
    }


@allow("GET")
def contract(request: HttpRequest) -> JsonResponse:
    return JsonResponse(document())
