"""/api/openapi.json describes every API URL there is, and is a valid OpenAPI 3.1 document (the running stack is
fuzzed against it in tests/e2e/test_contract.py)."""

import re

import pytest
from django.urls import get_resolver

from analysis.openapi import document


def api_paths() -> set[str]:
    """Every URL the project routes under /api/, in OpenAPI's template form."""
    found = set()
    for pattern in get_resolver().url_patterns:
        for inner in getattr(pattern, "url_patterns", [pattern]):
            route = str(inner.pattern)
            if route.startswith("api/"):
                found.add("/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route))
    return found


def test_every_api_url_is_in_the_contract_and_nothing_else():
    assert set(document()["paths"]) == api_paths()


# schemathesis alone takes most of a second to import, and validating the document another: a slow test, and
# imported here so that the fast tests' collection never pays for it.
@pytest.mark.slow
def test_the_contract_is_served_and_is_valid_openapi_3_1(client):
    import schemathesis

    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.json() == document()
    schema = schemathesis.openapi.from_dict(response.json())
    schema.validate()
    assert {operation.ok().label for operation in schema.get_all_operations()} == {
        "GET /api/jobs",
        "POST /api/jobs",
        "GET /api/jobs/{job_id}",
        "GET /api/openapi.json",
    }


def test_a_texts_pattern_refuses_exactly_what_the_api_strips_to_nothing():
    # JSON Schema's \s is not Python's: a one-character text of \x1e passed the old pattern and got a 400.
    pattern = re.compile(document()["components"]["schemas"]["Submission"]["properties"]["text"]["pattern"])
    for char in map(chr, range(0x10000)):
        if char == "\x00" or 0xD800 <= ord(char) <= 0xDFFF:
            continue  # refused apart: no NUL, no unpaired surrogate
        assert (pattern.fullmatch(char) is None) == (not char.strip()), repr(char)
    assert pattern.fullmatch(" \x1e word \x85") and not pattern.fullmatch(" \x1e\x85\u3000 ")
