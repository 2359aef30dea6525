"""The HTML page: a form to submit a text and the latest jobs with their status."""

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from analysis.models import Job
from analysis.tasks import enqueue


class SubmitForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), max_length=settings.ANALYSIS_MAX_TEXT_CHARS)


@require_http_methods(["GET", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    form = SubmitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        job = Job.objects.create(text=form.cleaned_data["text"])
        enqueue(job)
        return redirect("index")
    status = 400 if request.method == "POST" else 200
    return render(request, "analysis/index.html", {"form": form, "jobs": Job.objects.all()[:50]}, status=status)
