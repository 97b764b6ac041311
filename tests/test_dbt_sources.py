"""The dbt sources are generated from the contracts: the committed file must match them."""

from __future__ import annotations

import yaml

from platform_assets.contracts import CONTRACTS
from platform_assets.warehouse.dbt_sources import SOURCES, render_shop_sources
from platform_assets.warehouse.keys import curated_copy_key
from platform_assets.warehouse.load_sql import LOAD_COLUMNS


def test_committed_sources_ymls_match_the_contracts():
    assert len(SOURCES) == 2  # the shop (curated tables) and the clickstream (events)
    for path, render in SOURCES.items():
        assert path.read_text(encoding="utf-8") == render(), (
            f"{path} is stale; run `python -m platform_assets.warehouse.dbt_sources`"
        )


def test_sources_are_the_curated_tables_copied_into_the_curated_schema():
    (source,) = yaml.safe_load(render_shop_sources())["sources"]
    # the source, its schema and the loader's asset keys say one name: what the tables hold
    assert source["schema"] == "curated" and source["name"] == "curated"
    tables = {t["name"]: t for t in source["tables"]}
    assert set(tables) == set(CONTRACTS)
    for name, contract in CONTRACTS.items():
        table = tables[name]
        assert [c["name"] for c in table["columns"]] == [
            *contract.curated_schema().names,
            *(n for n, _, _ in LOAD_COLUMNS),
        ]
        meta = table["config"]["meta"]
        assert meta["dagster"]["asset_key"] == ["warehouse", "curated", name]  # the loader's
        assert meta["dagster"]["asset_key"] == list(curated_copy_key(name).path)
        assert meta["owner"] == contract.owner
        assert meta["lake_delta_table"].endswith(f"/curated/{name}")
        assert "PLATFORM_LAKE_ROOT" in meta["lake_delta_table"]
        assert f"Postgres public.{name} ->" in table["description"]  # lineage back to the source
        key = next(c for c in table["columns"] if c["name"] == contract.key)
        assert key["data_tests"] == ["not_null", "unique"]
        assert table["config"]["loaded_at_field"] == "coalesce(_commit_ts, _loaded_at)"
        error_after = table["config"]["freshness"]["error_after"]
        assert error_after == {"count": contract.freshness_sla_minutes, "period": "minute"}
    hashed = next(c for c in tables["customers"]["columns"] if c["name"] == "email_hmac")
    assert hashed["description"].startswith("HMAC-SHA256 (keyed) of the trimmed, lower-cased email")
    assert hashed["config"]["meta"] == {"pii": "hmac_sha256"}
    assert not {"email", "first_name", "phone"} & {c["name"] for c in tables["customers"]["columns"]}
