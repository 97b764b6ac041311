"""dbt docs for analysts: generated after builds (an asset), served by `make docs`.

`dbt docs generate` writes the site (index.html, manifest.json, catalog.json) into its own
folder, `.platform/dbt_docs/` under the platform home, never into the project's target/
(whose manifest the code location reads). The lineage in the site starts at the dbt sources,
which are the lake's curated Delta tables (their descriptions name the path from Postgres).
`serve_docs` generates, then serves the folder on 127.0.0.1 (what `make docs` runs).
"""

import functools
import os
import subprocess
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from dagster import AssetExecutionContext, MaterializeResult, asset
from dagster_dbt import DbtCliResource

from platform_assets.errors import PlatformError
from platform_assets.settings import DBT_PROJECT_DIR, locations
from platform_assets.warehouse import automation
from platform_assets.warehouse.keys import POOL, PREFIX
from platform_assets.warehouse.project import dbt_executable, lakehouse_project

DOCS_FILES = ("index.html", "manifest.json", "catalog.json")


def docs_dir() -> Path:
    return locations().home / ".platform" / "dbt_docs"


def generate_docs(target: str = "local", out: Path | None = None, env: dict[str, str] | None = None) -> Path:
    """Run `dbt docs generate` for `target` into `out`; returns the folder."""
    out = Path(out or docs_dir())
    out.mkdir(parents=True, exist_ok=True)
    warehouse = locations().warehouse_path
    warehouse.parent.mkdir(parents=True, exist_ok=True)  # DuckDB creates the file, not folders
    common = [
        "--quiet",
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target",
        target,
        "--target-path",
        str(out),
    ]
    full_env = {**os.environ, **locations().dbt_env(), **(env or {})}
    # parse writes manifest.json; generate --no-compile then needs no lake data: a model over
    # a source that is not there yet (the events' Delta table before the first run) would
    # fail compilation, and the docs must build on a fresh clone too.
    for step in (["parse"], ["docs", "generate", "--static", "--no-compile"]):
        done = subprocess.run(  # noqa: S603 -- dbt_executable(): resolved path, fixed arguments
            [dbt_executable(), *step, *common],
            cwd=lakehouse_project.project_dir,
            env=full_env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            detail = (done.stdout + done.stderr).strip().splitlines()[-3:] or ["no output"]
            raise PlatformError(f"dbt {' '.join(step)} failed: {' | '.join(detail)}")
    missing = [f for f in DOCS_FILES if not (out / f).is_file()]
    if missing:
        raise PlatformError(f"dbt docs generate wrote no {', '.join(missing)} in {out}")
    return out


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass


class _DocsServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a browser closing early
            super().handle_error(request, client_address)


def docs_server(folder: Path, port: int = 8080, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """An HTTP server for the docs folder (not started; call serve_forever)."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    return _DocsServer((host, port), handler)


def serve_docs(port: int = 8080, host: str = "127.0.0.1", target: str = "local") -> None:
    """Generate the docs, then serve them on http://host:port until interrupted."""
    folder = generate_docs(target)
    server = docs_server(folder, port, host)
    print(f"dbt docs for analysts on http://{host}:{port} (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def build_docs_asset(deps):
    """The docs site as an asset downstream of every dbt model, rebuilt hourly after builds."""

    @asset(
        key=[PREFIX, "dbt_docs"],
        deps=deps,
        group_name=f"{PREFIX}_docs",
        kinds={"dbt"},
        pool=POOL,
        automation_condition=automation.DOCS,
        description="The dbt docs site for analysts (models, columns, tests, lineage back "
        "to the lake); served by `make docs`.",
    )
    def dbt_docs(context: AssetExecutionContext, dbt: DbtCliResource) -> MaterializeResult:
        folder = generate_docs(dbt.target, env=getattr(dbt, "env", None))
        return MaterializeResult(
            metadata={"path": str(folder), "bytes": sum((folder / f).stat().st_size for f in DOCS_FILES)}
        )

    return dbt_docs


if __name__ == "__main__":
    serve_docs(int(os.environ.get("PLATFORM_DOCS_PORT", "8080")))
