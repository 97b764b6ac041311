"""The dbt project and its manifest, prepared once rather than at every code-location load.

Why: parsing dbt while Dagster loads the code location is slow for big projects, and several
processes (webserver, daemon, run workers) doing it at once race on target/. `make dbt-manifest`
(`python -m platform_assets.warehouse.project`, i.e. `dbt parse`) writes the manifest once;
loading the assets only reads it, and fails with one actionable line if it is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from platform_assets.errors import PlatformError
from platform_assets.settings import DBT_PROJECT_DIR, locations

# The manifest only carries the graph (models, tests, sources), the same in every target, so it
# is parsed against `local`, which needs no credentials. Runs choose their target in resources.
MANIFEST_TARGET = "local"

lakehouse_project = DbtProject(
    project_dir=DBT_PROJECT_DIR,
    profiles_dir=DBT_PROJECT_DIR,
    target=MANIFEST_TARGET,
)


def manifest_path() -> Path:
    """The prepared manifest, or a PlatformError saying how to prepare it."""
    path = lakehouse_project.manifest_path
    if not path.is_file():
        raise PlatformError(
            f"dbt manifest missing at {path}; run `make dbt-manifest` (dbt parse) first"
        )
    return path


def dbt_executable() -> str:
    """dbt installed beside this Python (a venv used without activation), else dbt on PATH."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def prepare_manifest() -> Path:
    """Run `dbt parse` into the project's target/ with the platform's paths in the environment."""
    cmd = [dbt_executable(), "parse", "--quiet",
           "--profiles-dir", str(lakehouse_project.profiles_dir),
           "--target", MANIFEST_TARGET,
           "--target-path", str(lakehouse_project.target_path)]
    env = {**os.environ, **locations().dbt_env()}
    done = subprocess.run(cmd, cwd=lakehouse_project.project_dir, env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        detail = (done.stdout + done.stderr).strip().splitlines()[-1:] or ["no output"]
        raise PlatformError(f"dbt parse failed in {lakehouse_project.project_dir}: {detail[0]}")
    return manifest_path()


if __name__ == "__main__":
    try:
        print(f"dbt manifest written to {prepare_manifest()}")
    except PlatformError as e:
        raise SystemExit(str(e)) from None
