"""What SIGTERM must do to a workload: end it inside its pod's grace period, never by the SIGKILL after it."""

from tasks.containers.podrun import RunningPod


def ends_within_its_grace_period(running: RunningPod) -> None:
    code, seconds = running.stop()
    assert seconds < running.pod.grace_seconds, running.logs()
    assert code != 137, f"{running.main} was SIGKILLed after the grace period:\n{running.logs()}"
