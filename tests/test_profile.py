"""The profile is chosen in one place, and bad set-up gives one actionable line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from platform_assets.errors import PlatformError
from platform_assets.profile import resources_for
from platform_assets.settings import current_profile


def test_default_profile_is_local(monkeypatch):
    monkeypatch.delenv("PLATFORM_ENV", raising=False)
    assert current_profile() == "local"
    assert set(resources_for()) >= {"lake", "oltp", "dbt"}


def test_bad_profile_is_one_clear_line(monkeypatch):
    monkeypatch.setenv("PLATFORM_ENV", "staging")
    with pytest.raises(PlatformError, match="PLATFORM_ENV='staging' is not a profile"):
        current_profile()


def test_cli_reports_bad_profile_in_one_line(tmp_path):
    env = {"PLATFORM_ENV": "staging", "PLATFORM_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "platform_assets.cli", "cdc", "capture"],
                         env=env, capture_output=True, text=True)
    assert out.returncode == 1
    assert out.stderr.strip().count("\n") == 0
    assert "set it to one of local, prod" in out.stderr


def test_postgres_that_cannot_start_is_one_clear_line(tmp_path):
    from platform_assets.sources.oltp.server import start_embedded

    blocker = tmp_path / "pg"
    blocker.write_text("a file where the data folder should be")
    with pytest.raises(PlatformError, match="could not start"):
        start_embedded(blocker)


def test_unreachable_dsn_is_one_clear_line(tmp_path, monkeypatch):
    from platform_assets.resources import OltpResource

    oltp = OltpResource(data_dir=str(tmp_path), dsn="postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(PlatformError, match="lakehouse oltp start"):
        oltp.resolved_dsn()
