"""The dbt project and its manifest, prepared once rather than at every code-location load.

Why: parsing dbt while Dagster loads the code location is slow, and several processes
(webserver, daemon, run workers) would each do it. `make dbt-manifest`
(`python -m platform_assets.warehouse.project`) prepares the manifest once with dagster-dbt's
own preparer (`DbtProject.preparer`, what `dagster-dbt project prepare-and-package` runs: `dbt
parse` into the project's target/, guarded against concurrent runs); loading the assets only
reads it, and fails with one actionable line if it is missing. `prepare_if_dev()` is not used:
under `dagster dev` it would parse again in every run worker, which costs each CDC run seconds.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from dagster_dbt import DbtProject
from dagster_dbt.errors import DagsterDbtError

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
        raise PlatformError(f"dbt manifest missing at {path}; run `make dbt-manifest` (dbt parse) first")
    return path


def dbt_executable() -> str:
    """dbt installed beside this Python (a venv used without activation), else dbt on PATH."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def prepare_manifest() -> Path:
    """Parse the project into its target/ with dagster-dbt's preparer.

    The preparer runs dbt through a plain `DbtCliResource`, which finds `dbt` on PATH and hands
    it this process's environment: so the dbt beside this Python goes first on PATH and the
    platform's paths (`locations().dbt_env()`) are set, as for every dbt invocation.
    """
    os.environ.update(locations().dbt_env())
    bin_dir = str(Path(dbt_executable()).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join(filter(None, [bin_dir, os.environ.get("PATH")]))
    try:
        lakehouse_project.preparer.prepare(lakehouse_project)
    except DagsterDbtError as e:
        detail = str(e).strip().splitlines()[-1:] or ["no output"]
        raise PlatformError(f"dbt parse failed in {lakehouse_project.project_dir}: {detail[0]}") from None
    return manifest_path()


if __name__ == "__main__":
    try:
        print(f"dbt manifest written to {prepare_manifest()}")
    except PlatformError as e:
        raise SystemExit(str(e)) from None
