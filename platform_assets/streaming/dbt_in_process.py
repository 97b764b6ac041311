"""dbt in this process: the prepared manifest loaded once, one `dbt build` per batch.

Why: the dbt CLI as a subprocess (what dagster-dbt's `DbtCliResource.cli` starts) costs about
5 s of start-up per invocation here (Python, dbt's imports, the manifest); a stream builds every
few seconds. dbt-core's `dbtRunner` takes a parsed manifest and skips parsing; profile and
adapter are set up per invocation (cheap). The project, profiles, target and environment are
the `dbt` resource's, so the stream builds exactly what the per-batch runs build, with the same
indirect test selection (`DBT_INDIRECT_SELECTION=buildable`, warehouse/resources.py).

dbt-duckdb keeps its DuckDB database open between invocations in one process (`keep_open`,
on by default); the local warehouse admits one writing process and no reader beside it, so the
database is closed after every build (`release_duckdb`) for the marts' automation and readers.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from platform_assets import killpoints
from platform_assets.errors import PlatformError
from platform_assets.settings import environment_overlay
from platform_assets.warehouse.project import manifest_path
from platform_assets.warehouse.resources import PlatformDbtCliResource

FINISHED_NODE = "NodeFinished"  # dbt's event after each model, snapshot or test
PARTIAL_PARSE = "partial_parse.msgpack"


@dataclass(frozen=True)
class DbtSettings:
    """What a build needs of the `dbt` resource: where the project is, which target, and the
    environment dbt's profile reads (hashable: one parsed project per settings and process)."""

    project_dir: str
    profiles_dir: str
    target: str
    env_items: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, resource: PlatformDbtCliResource) -> DbtSettings:
        return cls(
            str(resource.project_dir),
            str(resource.profiles_dir),
            resource.target,
            tuple(sorted(resource.env.items())),
        )

    @property
    def env(self) -> dict[str, str]:
        return dict(self.env_items)


@dataclass(frozen=True)
class NodeResult:
    unique_id: str
    status: str  # dbt's: success, error, skipped, pass, fail, warn
    seconds: float
    rows_affected: int | None
    message: str


@dataclass
class BuildResult:
    nodes: list[NodeResult] = field(default_factory=list)

    def failed(self) -> list[NodeResult]:
        return [n for n in self.nodes if n.status in ("error", "fail", "skipped")]


class InProcessDbt:
    """`dbt build` over the prepared manifest, in this process."""

    def __init__(self, resource: DbtSettings) -> None:
        self.resource = resource
        # dbt writes logs and compiled SQL under these; per stream, not in the shared project
        self._scratch = tempfile.TemporaryDirectory(prefix="lakehouse-stream-dbt-")

    @cached_property
    def manifest(self):
        """dbt's Manifest, parsed once per stream (the prepared manifest.json cannot stand in:
        generic tests render from state only a parse holds). dbt's partial parse file from
        `make dbt-manifest` is reused when present, so this takes about as long as one CLI run."""
        from dbt.cli.main import dbtRunner

        manifest_path()  # prepared, or a PlatformError saying how
        partial = Path(self.resource.project_dir, "target", PARTIAL_PARSE)
        if partial.is_file():
            self._target().mkdir(parents=True, exist_ok=True)
            shutil.copy2(partial, self._target() / PARTIAL_PARSE)
        with environment_overlay(self.resource.env):
            outcome = dbtRunner().invoke(["parse", *self._common_args()])
        if not outcome.success:
            raise PlatformError(f"dbt parse failed in {self.resource.project_dir}: {outcome.exception}")
        return outcome.result

    @cached_property
    def _runner(self):
        from dbt.cli.main import dbtRunner

        def on_event(event) -> None:
            if event.info.name == FINISHED_NODE:
                killpoints.reached("dbt.after_model")  # what the subprocess path reaches too

        return dbtRunner(manifest=self.manifest, callbacks=[on_event])

    def fqn(self, unique_id: str) -> str:
        """The dbt selector of one node (its fully qualified name, as dagster-dbt selects)."""
        return ".".join(self.manifest.nodes[unique_id].fqn)

    def build(self, unique_ids: list[str]) -> BuildResult:
        """Build (models, snapshots and their tests) exactly `unique_ids`; a failed model or
        test raises a PlatformError naming them, after dbt stopped their dependents."""
        if not unique_ids:
            return BuildResult()
        args = ["build", "--select", *sorted(self.fqn(u) for u in unique_ids), *self._common_args()]
        warehouse = self.resource.env.get("PLATFORM_WAREHOUSE_PATH")
        if warehouse:  # DuckDB creates the file, not its folder
            Path(warehouse).parent.mkdir(parents=True, exist_ok=True)
        with environment_overlay(self.resource.env):
            try:
                outcome = self._runner.invoke(args)
            finally:
                release_duckdb()
        if outcome.exception is not None:
            raise PlatformError(f"dbt build of {len(unique_ids)} nodes failed: {outcome.exception}")
        result = BuildResult(
            [
                NodeResult(
                    r.node.unique_id,
                    str(r.status),
                    float(r.execution_time or 0.0),
                    (r.adapter_response or {}).get("rows_affected"),
                    r.message or "",
                )
                for r in outcome.result.results
            ]
        )
        if not outcome.success or result.failed():
            bad = "; ".join(f"{n.unique_id}: {n.status} {n.message}".strip() for n in result.failed())
            raise PlatformError(f"dbt build failed: {bad or 'see the dbt log'}")
        return result

    def _target(self) -> Path:
        return Path(self._scratch.name, "target")

    def _common_args(self) -> list[str]:
        return [
            "--project-dir",
            str(self.resource.project_dir),
            "--profiles-dir",
            str(self.resource.profiles_dir),
            "--target",
            self.resource.target,
            "--target-path",
            str(self._target()),
            "--log-path",
            str(Path(self._scratch.name, "logs")),
            "--no-write-json",
            "--quiet",
        ]

    def close(self) -> None:
        self._scratch.cleanup()


def release_duckdb() -> None:
    """Close dbt-duckdb's open database, if any (reopened by the next invocation).

    Private names of dbt-duckdb 1.11 (`DuckDBConnectionManager._ENV`, `_LOCK`), on purpose: it
    offers no setting but the profile's `keep_open`, which is shared with every other dbt run.
    Re-check when upgrading dbt-duckdb (tests/test_stream.py fails if the file stays locked).
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # another adapter (Snowflake): nothing held locally
        return
    with DuckDBConnectionManager._LOCK:
        env = DuckDBConnectionManager._ENV
        if env is not None:
            env.close()
