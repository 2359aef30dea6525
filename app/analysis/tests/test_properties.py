"""Properties over inputs nobody wrote down (Hypothesis): any text the API or the form is sent gets an answer
from its documented set, never a 5xx, and any text the API accepts is analysed without error, the same every
time. Bounded by EXAMPLES; a failure prints the shrunk input and Hypothesis's seed."""

import json

import pytest
from django.conf import settings as django_settings
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.models import Job
from analysis.text import analyse

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.redis]

EXAMPLES = 150
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# Every code point, NUL and unpaired UTF-16 surrogates included: JSON can carry them all.
ANY_TEXT = st.text(st.characters(codec=None, categories=None), max_size=300)
# A form is sent as UTF-8 bytes, which cannot carry an unpaired surrogate: every other code point.
FORM_TEXT = st.text(st.characters(codec="utf-8", categories=None), max_size=300)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
    max_leaves=12,
)


@FUZZ
@given(text=ANY_TEXT)
def test_any_text_sent_to_the_api_is_accepted_or_refused_never_a_5xx(client, text):
    before = Job.objects.count()
    response = client.post("/api/jobs", data=json.dumps({"text": text}), content_type="application/json")
    assert response.status_code in (202, 400, 413), response.content[:300]
    assert "error" in response.json() if response.status_code != 202 else response.json()["status"] == "pending"
    assert Job.objects.count() == before + (response.status_code == 202)


@FUZZ
@given(body=JSON_VALUES)
def test_any_json_body_is_accepted_or_refused_never_a_5xx(client, body):
    response = client.post("/api/jobs", data=json.dumps(body), content_type="application/json")
    assert response.status_code in (202, 400, 413), response.content[:300]


@FUZZ
@given(text=FORM_TEXT)
def test_any_text_posted_to_the_form_gives_a_page_a_redirect_or_a_form_error(text):
    client = Client(enforce_csrf_checks=True)
    token = client.get("/").cookies[django_settings.CSRF_COOKIE_NAME].value
    response = client.post("/", {"text": text, "csrfmiddlewaretoken": token})
    assert response.status_code in (200, 302, 400), response.content[:300]


@settings(max_examples=EXAMPLES * 4, deadline=None)
@given(text=ANY_TEXT)
def test_the_analysis_of_any_text_is_total_and_deterministic(text):
    result = analyse(text)
    assert result == analyse(text)
    assert result["characters"] == len(text)
    assert 0 <= result["unique_words"] <= result["words"]
    assert sum(count for _, count in result["top_words"]) <= result["words"]
    json.dumps(result)  # what the task stores as JSON
