"""Run failures, always logged and, when `PLATFORM_ALERT_WEBHOOK_URL` is set, posted as JSON.

The body names the job, run, failed steps and the first line of each error, and nothing else:
no run config, no resources, and the values of the declared secret variables
(platform_assets/variables.py) are masked wherever they appear in an error. The post has a
timeout; a webhook that fails or does not answer fails the sensor's tick with an error naming
its host (never the URL, which carries a token), so the failure is not lost: the tick is
retried.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from dagster import ConfigurableResource, DefaultSensorStatus, RunFailureSensorContext, run_failure_sensor
from pydantic import Field

from platform_assets.errors import PlatformError
from platform_assets.variables import VARIABLES

log = logging.getLogger(__name__)
MASK = "***"


class AlertResource(ConfigurableResource):
    webhook_url: str | None = Field(default=None, description="Where failures are posted")
    timeout_s: float = Field(default=10.0, description="Seconds to wait for the webhook")


def _masked(text: str) -> str:
    for var in VARIABLES:
        secret = os.environ.get(var.name) if var.secret else None
        if secret and len(secret) >= 4:  # a one-letter "secret" would mask every word
            text = text.replace(secret, MASK)
    return text


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _root_message(error) -> str:
    """The user's own error, not Dagster's "Error occurred while executing op" wrapper."""
    while error is not None and error.cause is not None:
        error = error.cause
    return error.message if error is not None else ""


def failure_summary(context: RunFailureSensorContext) -> dict:
    """What the alert says: job, run id, failed steps with the first line of their error."""
    steps = []
    for event in context.get_step_failure_events():
        steps.append(
            {
                "step": event.step_key,
                "error": _masked(_first_line(_root_message(event.step_failure_data.error))),
            }
        )
    run = context.dagster_run
    return {
        "event": "run_failure",
        "job": run.job_name,
        "run_id": run.run_id,
        "steps": steps,
        "message": _masked(_first_line(context.failure_event.message or "")),
    }


def post_json(url: str, body: dict, timeout_s: float) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):  # urlopen would also read file: and ftp: URLs
        raise PlatformError(f"alert webhook URL must be http(s)://, not {parts.scheme or 'a bare host'}")
    request = urllib.request.Request(  # noqa: S310 -- scheme checked above
        url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    host = parts.netloc or "?"
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310 -- http(s) only
            response.read()
    except urllib.error.HTTPError as exc:
        raise PlatformError(f"alert webhook at {host} answered HTTP {exc.code}") from None
    except (OSError, TimeoutError) as exc:  # refused, unreachable, timed out
        raise PlatformError(f"alert webhook at {host} did not answer within {timeout_s:g} s: {exc}") from None


def alert(summary: dict, alerts: AlertResource) -> None:
    steps = "; ".join(f"{s['step']}: {s['error']}" for s in summary["steps"]) or summary["message"]
    log.error("run failed: job %s, run %s: %s", summary["job"], summary["run_id"], steps)
    if alerts.webhook_url:
        post_json(alerts.webhook_url, summary, alerts.timeout_s)


@run_failure_sensor(
    default_status=DefaultSensorStatus.RUNNING,
    description="Logs every failed run and posts it to PLATFORM_ALERT_WEBHOOK_URL when that is set.",
)
def run_failure_alert(context: RunFailureSensorContext, alerts: AlertResource):
    alert(failure_summary(context), alerts)
