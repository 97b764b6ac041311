"""The secret and PII scan (observability/leak_scan.py): it finds planted values wherever a run
records them, names the place without repeating the value, and `lakehouse leak-scan` exits 1."""

from __future__ import annotations

import psycopg
import pytest
from dagster import DagsterInstance, MaterializeResult, asset, materialize

from platform_assets.cli import main
from platform_assets.observability.leak_scan import (
    MIN_CHARS,
    Needle,
    configured_secrets,
    file_texts,
    instance_texts,
    pii_values,
    scan,
)
from platform_assets.sources.oltp.seed import seed

SECRET = "leak-scan-test-hash-key-0123456789abcdef0123"
EMAIL = "ada.lovelace@example.org"


def _run(instance, metadata_value: str, log_value: str) -> None:
    @asset
    def innocent(context):
        context.log.info(f"processed {log_value}")
        return MaterializeResult(metadata={"note": metadata_value})

    assert materialize([innocent], instance=instance).success


@pytest.fixture
def instance(tmp_path):
    (tmp_path / "dagster").mkdir()
    no_telemetry = {"telemetry": {"enabled": False}}  # it would write under DAGSTER_HOME
    with DagsterInstance.local_temp(str(tmp_path / "dagster"), overrides=no_telemetry) as inst:
        yield inst


def test_planted_values_are_found_where_they_were_recorded_and_never_repeated(instance, monkeypatch):
    monkeypatch.setenv("PLATFORM_PII_HASH_KEY", SECRET)
    needles = [
        *configured_secrets(),
        Needle("customers.email", EMAIL, pii=True),
        Needle("customers.first_name", "Ada", pii=True),
    ]
    _run(instance, metadata_value=f"key={SECRET}", log_value=EMAIL)
    report = scan(instance_texts(instance), needles)
    assert not report.clean
    assert any(
        f.startswith("variable PLATFORM_PII_HASH_KEY in run ") and "event log" in f for f in report.findings
    )
    assert any(f.startswith("customers.email in run ") for f in report.findings)
    assert report.too_short == 1 and len("Ada") < MIN_CHARS  # counted, not looked for
    assert (report.secrets, report.pii_values) == (1, 1)
    text = report.summary()
    assert any(f.startswith("customers.email in compute log ") for f in report.findings)  # stdout too
    assert SECRET not in text and EMAIL not in text and f"{len(report.findings)} FOUND" in text


def test_a_clean_instance_is_clean(instance, monkeypatch):
    monkeypatch.setenv("PLATFORM_PII_HASH_KEY", SECRET)
    _run(instance, metadata_value="rows=1000", log_value="1000 rows")
    report = scan(
        instance_texts(instance), [*configured_secrets(), Needle("customers.email", EMAIL, pii=True)]
    )
    assert report.clean and report.places >= 2 and report.scanned_chars > 1000
    assert report.summary().startswith("secret and PII scan: clean")


def test_local_generated_secrets_are_looked_for(tmp_path):
    (tmp_path / ".platform").mkdir()
    (tmp_path / ".platform" / "pii_hash_key").write_text("f" * 64)
    (tmp_path / ".platform" / "dashboard_users.json").write_text('{"finance": {"password": "pw-0123456789"}}')
    found = {n.what: n.value for n in configured_secrets(tmp_path)}
    assert "f" * 64 in found.values() and found["dashboard user finance's password"] == "pw-0123456789"


def test_pii_values_come_from_every_pii_column_of_the_source(pg_dsn):
    with psycopg.connect(pg_dsn) as conn:
        seed(conn, orders=1500, seed=3)
        values = pii_values(conn)
        emails = {r[0] for r in conn.execute("SELECT email FROM customers").fetchall()}
    kinds = {n.what for n in values}
    assert {"customers.email", "customers.phone", "customers.street_address"} <= kinds
    found_emails = {n.value for n in values if n.what == "customers.email"}
    assert len(found_emails) == min(500, len(emails)) and found_emails <= emails


def test_the_command_exits_1_on_a_leak_in_a_log_file_and_0_when_clean(
    tmp_path, platform_home, monkeypatch, capsys
):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    (tmp_path / "dagster").mkdir()
    monkeypatch.setenv("PLATFORM_ML_SERVE_TOKEN", "serve-token-0123456789")
    clean, leaky = tmp_path / "clean.log", tmp_path / "leaky.log"
    clean.write_text("100000 rows\n" * 100)
    leaky.write_text("calling the endpoint with serve-token-0123456789\n")
    assert main(["leak-scan", "--no-source", "--log", str(clean)]) == 0
    assert "clean" in capsys.readouterr().out
    assert main(["leak-scan", "--no-source", "--log", str(clean), "--log", str(leaky)]) == 1
    out = capsys.readouterr().out
    assert f"variable PLATFORM_ML_SERVE_TOKEN in file {leaky}" in out and "serve-token-0123" not in out
    assert list(file_texts([clean]))[0][0] == f"file {clean}"
