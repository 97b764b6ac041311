"""The profile is chosen in one place, and bad set-up gives one actionable line."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from platform_assets.errors import PlatformError
from platform_assets.profile import resources_for
from platform_assets.settings import current_profile


def test_default_profile_is_local(monkeypatch):
    monkeypatch.delenv("PLATFORM_ENV", raising=False)
    assert current_profile() == "local"
    # both profiles bind the same resource keys (only their implementations differ)
    local = set(resources_for())
    assert (
        local
        == set(resources_for("prod"))
        == {
            "alerts",
            "catalog",
            "dashboard_site",
            "dbt",
            "events",
            "lake",
            "marts_reader",
            "ml_trainer",
            "metadata_store",
            "metrics",
            "oltp",
            "processed_engine",
            "warehouse_loader",
        }
    )


def test_bad_profile_is_one_clear_line(monkeypatch):
    monkeypatch.setenv("PLATFORM_ENV", "staging")
    with pytest.raises(PlatformError, match="PLATFORM_ENV='staging' is not a profile"):
        current_profile()


def test_cli_reports_bad_profile_in_one_line(tmp_path):
    env = {"PLATFORM_ENV": "staging", "PLATFORM_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-m", "platform_assets.cli", "cdc", "capture"],
        env=env,
        capture_output=True,
        text=True,
    )
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


# -- every setting declared once (platform_assets/variables.py) ------------------------------

ROOT = Path(__file__).resolve().parents[1]
# where the platform reads variables: its code, dbt's profile, models and macros, the instance
SOURCES = [
    *sorted((ROOT / "platform_assets").rglob("*.py")),
    ROOT / "dbt_project" / "profiles.yml",
    ROOT / "dbt_project" / "dbt_project.yml",
    *sorted((ROOT / "dbt_project" / "models").rglob("*.sql")),
    *sorted((ROOT / "dbt_project" / "models").rglob("*.yml")),
    *sorted((ROOT / "dbt_project" / "macros").rglob("*.sql")),
    ROOT / "dagster.yaml",
]
NAME = re.compile(r"\b(?:PLATFORM|SNOWFLAKE)_[A-Z0-9_]*[A-Z0-9]\b")


def test_every_variable_the_platform_reads_is_declared():
    from platform_assets.variables import BY_NAME, INTERNAL

    # not the declaration itself, nor the CLI's lists of what its commands read (names only:
    # they would keep a variable "used" after the code stopped reading it; test_cli_help.py
    # checks they are declared)
    listings = {
        ROOT / "platform_assets" / "variables.py",
        ROOT / "platform_assets" / "cli" / "environment.py",
    }
    readers = [p for p in SOURCES if p not in listings]
    used = {n: p.relative_to(ROOT) for p in readers for n in NAME.findall(p.read_text())}
    undeclared = {n: str(p) for n, p in used.items() if n not in BY_NAME and n not in INTERNAL}
    assert undeclared == {}, "declare these in platform_assets/variables.py"
    # and the declaration lists nothing the code has stopped reading
    aws = {n for n in BY_NAME if n.startswith("AWS_") or n == "DAGSTER_HOME"}
    assert set(BY_NAME) - aws - set(used) == set()


def test_the_readme_table_is_the_declaration():
    from platform_assets.variables import markdown_table

    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Running `prod`", 1)[1].split("\n## ", 1)[0]
    table = "\n".join(line for line in section.splitlines() if line.startswith("|"))
    assert table == markdown_table(), "regenerate: python -m platform_assets.variables"


def test_reading_an_undeclared_variable_is_refused():
    from platform_assets.variables import env

    with pytest.raises(PlatformError, match="PLATFORM_NOPE is not declared"):
        env("PLATFORM_NOPE")


def test_the_profile_reads_its_settings_through_the_declaration():
    """profile.py names no variable itself except through variables.py's readers."""
    text = (ROOT / "platform_assets" / "profile.py").read_text()
    assert "os.environ" not in text and "EnvVar(" not in text
