"""The run-failure alert: a real failing Dagster run, the sensor evaluated on it, the JSON posted
to a local HTTP server; always logged; no secrets; a webhook that fails is a clear error."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from dagster import DagsterInstance, build_run_status_sensor_context, job, op

from platform_assets.errors import PlatformError
from platform_assets.observability.alerts import AlertResource, run_failure_alert

SECRET = "s3cr3t-sharing-key-value"


@op
def extract():
    return 1


@op
def load(rows: int):
    raise RuntimeError(f"warehouse refused the load (key {SECRET})\nTraceback line two")


@job
def nightly_load():
    load(extract())


@pytest.fixture
def failed_run(monkeypatch):
    monkeypatch.setenv("PLATFORM_SHARING_SECRET", SECRET)  # a declared secret variable
    instance = DagsterInstance.ephemeral()
    result = nightly_load.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    run = instance.get_run_by_id(result.run_id)
    return instance, run, result.get_run_failure_event()


def _context(failed_run, alerts: AlertResource):
    instance, run, event = failed_run
    return build_run_status_sensor_context(
        sensor_name=run_failure_alert.name,
        dagster_event=event,
        dagster_instance=instance,
        dagster_run=run,
        resources={"alerts": alerts},
    ).for_run_failure()


class _Recorder(BaseHTTPRequestHandler):
    bodies: list[dict] = []
    status = 200

    def do_POST(self):  # noqa: N802 (http.server's name)
        length = int(self.headers["Content-Length"])
        type(self).bodies.append(json.loads(self.rfile.read(length)))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    handler = type("Handler", (_Recorder,), {"bodies": [], "status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, f"http://127.0.0.1:{server.server_address[1]}/hooks/T0KEN"
    server.shutdown()
    server.server_close()


def test_a_failed_run_is_posted_as_json_without_secrets(failed_run, webhook, caplog):
    handler, url = webhook
    _, run, _ = failed_run
    with caplog.at_level(logging.ERROR, logger="platform_assets.observability.alerts"):
        run_failure_alert(_context(failed_run, AlertResource(webhook_url=url, timeout_s=5)))

    assert len(handler.bodies) == 1
    body = handler.bodies[0]
    assert body["event"] == "run_failure"
    assert body["job"] == "nightly_load" and body["run_id"] == run.run_id
    assert body["steps"] == [{"step": "load", "error": "RuntimeError: warehouse refused the load (key ***)"}]
    assert SECRET not in json.dumps(body) and "Traceback line two" not in json.dumps(body)
    assert any(run.run_id in r.getMessage() and "load" in r.getMessage() for r in caplog.records)
    assert not any("T0KEN" in r.getMessage() for r in caplog.records)


def test_without_a_webhook_the_failure_is_logged(failed_run, caplog):
    _, run, _ = failed_run
    with caplog.at_level(logging.ERROR, logger="platform_assets.observability.alerts"):
        run_failure_alert(_context(failed_run, AlertResource()))
    logged = [r.getMessage() for r in caplog.records]
    assert any(
        "nightly_load" in m and run.run_id in m and "warehouse refused the load" in m and SECRET not in m
        for m in logged
    )


def test_a_webhook_that_answers_an_error_fails_the_tick_naming_its_host(failed_run, webhook):
    handler, url = webhook
    handler.status = 500
    with pytest.raises(
        PlatformError,
        match=r"alert webhook at 127\.0\.0\.1:\d+ answered HTTP "
        "500",
    ) as err:
        run_failure_alert(_context(failed_run, AlertResource(webhook_url=url)))
    assert "T0KEN" not in str(err.value)


def test_a_webhook_that_never_answers_fails_within_the_timeout(failed_run):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/hook"
        started = time.monotonic()
        with pytest.raises(PlatformError, match="did not answer within 1 s"):
            run_failure_alert(_context(failed_run, AlertResource(webhook_url=url, timeout_s=1)))
        assert time.monotonic() - started < 5


def test_the_alert_and_metrics_sensors_are_in_the_code_location():
    from platform_assets.definitions import defs

    names = {s.name for s in defs.sensors}
    assert {"run_failure_alert", "processed_metrics_sensor"} <= names
    assert {"alerts", "metrics"} <= set(defs.resources)
