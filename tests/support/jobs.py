"""Jobs through the real API: submit one, wait for it to finish."""

from __future__ import annotations

import requests

from tests.support.processes import wait_until


def submit(url: str, text: str = "a job") -> str:
    """POST a job to web at URL; its id (the API must accept it: 202)."""
    response = requests.post(f"{url}/api/jobs", json={"text": text}, timeout=10)
    assert response.status_code == 202, response.text
    return response.json()["id"]


def job(url: str, job_id: str) -> dict:
    """The job as the API shows it now."""
    return requests.get(f"{url}/api/jobs/{job_id}", timeout=10).json()


def finished(url: str, job_id: str, timeout: float = 60) -> dict:
    """The job as the API shows it once it is done or failed."""

    def state() -> dict | None:
        now = job(url, job_id)
        return now if now["status"] in ("done", "failed") else None

    return wait_until(f"job {job_id} to finish", state, timeout, 0.05)
