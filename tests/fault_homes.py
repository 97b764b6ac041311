"""The platform homes the fault suite starts from, and each step's undisturbed result, built
once per test session and shared by every fault module (a kill, a full disk, two writers).

A home is a folder: `<home>/lake` and the DuckDB warehouse `<home>/warehouse.duckdb`. Tests
copy a prepared home (`shutil.copytree`) and never change the prepared one.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dms_files import order_row, product_row, write_dms
from fault_compare import home_state
from fault_steps import PII_KEY, STEPS, lake_of

from platform_assets.contracts import contract
from platform_assets.curated.refresh import refresh_curated
from platform_assets.processed.apply import apply_pending
from platform_assets.warehouse.loader import DuckDBCuratedLoader

ROWS = 3_000
EVENTS_START = datetime(2026, 3, 1, 0, 5, tzinfo=UTC)
INPUT_OF = {  # which prepared state each step starts from
    "apply": "base",
    "curate": "applied",
    "load": "curated",
    "land_events": "base",
    "maintain": "applied",
    "restore": "applied",
}

_homes: dict[str, Path] = {}
_references: dict[str, tuple[dict, Path]] = {}


@contextmanager
def fault_env() -> Iterator[None]:
    """What every fault module runs under: the steps' PII key, and no kill point in this process."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PLATFORM_PII_HASH_KEY", PII_KEY)
        mp.delenv("PLATFORM_KILL_AT", raising=False)
        yield


def _write_cdc(lake, minute: int) -> None:
    """One CDC file per table: updates across the key range, deletes, inserts of new keys."""
    name = f"20261127-08{minute:02d}00000"
    keys = list(range(minute * 7 + 1, ROWS + 400, 23))
    ops = ["D" if k % 5 == 0 else ("U" if k <= ROWS else "I") for k in keys]
    write_dms(lake, "products", name, [product_row(k, f"{minute}.{k % 100:02d}") for k in keys], ops=ops)
    write_dms(lake, "orders", name, [order_row(k, f"{minute}{k % 100}.50") for k in keys], ops=ops)


def _produce_events(lake) -> None:
    from platform_assets.sources.events.producer import FirehoseFileSink, config_from_ids, produce

    cfg = config_from_ids(range(1, 301), range(1, 101), range(1, 601), seed=5)
    produce(FirehoseFileSink(lake), cfg, rate=5_000 / 7_200, duration=7_200, start=EVENTS_START)


def prepared_homes(tmp_path_factory) -> dict[str, Path]:
    """base: processed products and orders at version 2 (a full load, then two CDC files),
    curated products, its warehouse copy, landed events not yet ingested, and three CDC files
    per table pending. applied / curated: base after the undisturbed apply / curate."""
    if _homes:
        return _homes
    root = tmp_path_factory.mktemp("fault_homes")
    base = root / "base"
    lake = lake_of(base)
    write_dms(lake, "products", "LOAD00000001", [product_row(i) for i in range(1, ROWS + 1)])
    write_dms(lake, "orders", "LOAD00000001", [order_row(i) for i in range(1, ROWS + 1)])
    for name in ("products", "orders"):
        apply_pending(lake, contract(name))
    for minute in (0, 1):
        _write_cdc(lake, minute)
    for name in ("products", "orders"):
        apply_pending(lake, contract(name))
    refresh_curated(lake, contract("products"))
    DuckDBCuratedLoader(path=str(base / "warehouse.duckdb")).load(lake, [contract("products")])
    for minute in (2, 3, 4):
        _write_cdc(lake, minute)
    _produce_events(lake)
    homes = {"base": base}
    for step, after in (("apply", "applied"), ("curate", "curated")):
        homes[after] = root / after
        shutil.copytree(homes[INPUT_OF[step]], homes[after])
        STEPS[step](homes[after])
    _homes.update(homes)
    return _homes


def reference(step: str, tmp_path_factory) -> tuple[dict, Path]:
    """The step's undisturbed result from its prepared home: (home_state, the home), once."""
    if step not in _references:
        home = tmp_path_factory.mktemp(f"reference_{step}")
        shutil.copytree(prepared_homes(tmp_path_factory)[INPUT_OF[step]], home, dirs_exist_ok=True)
        STEPS[step](home)
        _references[step] = (home_state(home), home)
    return _references[step]


def copy_of(start: str, tmp_path_factory, to: Path) -> Path:
    """A private copy of a prepared home to change."""
    shutil.copytree(prepared_homes(tmp_path_factory)[start], to)
    return to
