"""ML end to end on the shared warehouse (a copy): dataset -> train -> register -> promote ->
batch score -> warehouse -> monitoring, each run twice; the endpoint answering; a worse
candidate blocked; a rebuild from pins after the sources changed; a VACUUM sparing pins."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
import requests
from dagster import AssetSelection, DagsterInstance, materialize
from deltalake import DeltaTable, write_deltalake
from ml_data import orders_with_churn
from servers import ThreadedServer
from warehouse_data import curated_table, merge_curated, shop_rows

from platform_assets.lake import Lake
from platform_assets.maintenance import Target, vacuum
from platform_assets.ml import names
from platform_assets.ml.assets import ML_ASSETS
from platform_assets.ml.dataset import DatasetBuild, card_pins, rebuild
from platform_assets.ml.features import FEATURES, SOURCE_COLUMNS, SplitSpec, dataset_rows
from platform_assets.ml.pins import read_pins
from platform_assets.ml.registry import Tracking, champion
from platform_assets.ml.serve import create_app
from platform_assets.ml.sources import read_sources
from platform_assets.ml.trainer import MlTrainer
from platform_assets.resources import LakeResource
from platform_assets.settings import Locations
from platform_assets.warehouse.loader import DuckDBCuratedLoader

pytestmark = pytest.mark.slow
TOKEN = "test-token-0123456789"


class Home:
    def __init__(self, root: Path) -> None:
        self.loc = Locations(root)
        self.lake = Lake(str(self.loc.lake_root))
        self.instance = DagsterInstance.ephemeral()
        self.tracking = Tracking.under(root)
        self.resources = {
            "lake": LakeResource(root=str(self.loc.lake_root)),
            "warehouse_loader": DuckDBCuratedLoader(path=str(self.loc.warehouse_path)),
            "ml_trainer": MlTrainer(kind="local", home=str(root)),
        }

    def run(self, *keys, config: dict | None = None, raise_on_error: bool = True):
        return materialize(
            ML_ASSETS,
            selection=AssetSelection.assets(*keys),
            instance=self.instance,
            resources=self.resources,
            run_config={"ops": config or {}},
            raise_on_error=raise_on_error,
        )

    def metadata(self, key) -> dict:
        event = self.instance.get_latest_materialization_event(key)
        return {k: v.value for k, v in event.asset_materialization.metadata.items()}

    def warehouse(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.loc.warehouse_path), read_only=True) as con:
            return con.execute(sql).fetchall()


class Served(ThreadedServer):
    """The endpoint app on a free port; `post` sends real HTTP."""

    def __init__(self, app) -> None:
        super().__init__(app)
        self.start()

    def post(self, path: str, **kwargs) -> requests.Response:
        return requests.post(self.url + path, timeout=30, **kwargs)


PIPELINE = [
    names.DATASET_KEY,
    names.MODEL_KEY,
    names.CHAMPION_KEY,
    names.PREDICTIONS_KEY,
    names.WAREHOUSE_PREDICTIONS_KEY,
    names.MONITORING_KEY,
]


@pytest.fixture(scope="module")
def trained(built_warehouse, tmp_path_factory) -> Home:
    """A copy of the shared home with the whole ML pipeline materialized twice."""
    root = tmp_path_factory.mktemp("ml_home") / "home"
    shutil.copytree(built_warehouse.home, root)
    home = Home(root)
    # the shared shop's orders fall on random customers (no churn to learn): give the copy
    # orders with a signal, committed as a new version of curated.orders
    orders = orders_with_churn(len(built_warehouse.rows["customers"]), built_warehouse.rows["products"])
    write_deltalake(
        str(home.loc.lake_root / "curated" / "orders"), curated_table("orders", orders), mode="overwrite"
    )
    home.first = home.run(*PIPELINE)
    home.first_metadata = {k: home.metadata(k) for k in PIPELINE}
    home.second = home.run(*PIPELINE)
    home.endpoint = Served(create_app(home.lake, home.tracking, TOKEN))
    yield home
    home.endpoint.stop()


def test_train_register_score_and_serve_end_to_end(trained):
    first, md = trained.first_metadata, {k: trained.metadata(k) for k in PIPELINE}
    model = md[names.MODEL_KEY]
    # the MLflow run and the model version are in the asset's metadata, and exist in MLflow
    client = trained.tracking.client()
    run = client.get_run(model["mlflow_run_id"])
    assert run.data.metrics["validation_auc"] == pytest.approx(model["validation_auc"])
    version = client.get_model_version(names.MODEL_NAME, str(model["model_version"]))
    assert json.loads(version.tags["pins"]) == model["pins"] == first[names.DATASET_KEY]["pins"]
    assert int(champion(trained.tracking, names.MODEL_NAME).version) == model["model_version"]
    assert model["validation_auc"] > 0.6  # the features carry signal (random is 0.5)
    # running the pipeline again: same build, same version, no new rows anywhere
    assert md[names.DATASET_KEY]["build_id"] == first[names.DATASET_KEY]["build_id"]
    assert md[names.DATASET_KEY]["written"] is False
    assert model["reused"] is True and model["model_version"] == first[names.MODEL_KEY]["model_version"]
    assert len(client.search_model_versions(f"name = '{names.MODEL_NAME}'")) == 1
    scored = md[names.PREDICTIONS_KEY]
    assert first[names.PREDICTIONS_KEY]["rows_inserted"] == scored["rows_scored"] > 100
    assert scored["rows_inserted"] == 0
    # the warehouse: the predictions copied once, one monitoring row for the one scoring run
    assert trained.warehouse("select count(*) from ml.churn_predictions")[0][0] == scored["rows_scored"]
    monitoring = trained.warehouse("select * from ml.churn_model_monitoring")
    assert len(monitoring) == 1
    cols = trained.warehouse("describe ml.churn_model_monitoring")
    assert [(c[0], c[1]) for c in cols] == [
        ("scored_at", "TIMESTAMP"),
        ("model_version", "INTEGER"),
        ("rows", "BIGINT"),
        ("mean_score", "DOUBLE"),
        ("predicted_positive_rate", "DOUBLE"),
        ("label_rate", "DOUBLE"),
        ("psi", "DOUBLE"),
    ]
    _, mv, rows, mean, ppr, label_rate, psi = monitoring[0]
    assert (mv, rows) == (model["model_version"], scored["rows_scored"])
    assert 0 < mean < 1 and 0 <= ppr <= 1 and 0 < label_rate < 1 and psi >= 0
    # the endpoint answers with the champion, from the newest Delta versions
    client = trained.endpoint
    ids = [r[0] for r in trained.warehouse("select customer_id from ml.churn_predictions order by 1 limit 5")]
    answer = client.post("/predict", json={"customer_ids": ids}, headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["model_version"] == model["model_version"]
    assert [p["customer_id"] for p in body["predictions"]] == ids
    listed = ",".join(map(str, ids))
    batch = dict(
        trained.warehouse(
            f"select customer_id, score from ml.churn_predictions where customer_id in ({listed})"  # noqa: S608 -- listed ids are int()s
        )
    )
    assert [p["score"] for p in body["predictions"]] == [pytest.approx(batch[i], abs=1e-6) for i in ids]


def test_endpoint_refuses_requests_without_a_token_or_with_a_malformed_body(trained):
    client = trained.endpoint
    auth = {"Authorization": f"Bearer {TOKEN}"}
    missing = client.post("/predict", json={"customer_ids": [1]})
    assert missing.status_code == 401 and "missing bearer token" in missing.json()["detail"]
    wrong = client.post("/predict", json={"customer_ids": [1]}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.json()["detail"] == "invalid bearer token"
    bad_id = client.post("/predict", json={"customer_ids": [1, "x"]}, headers=auth)
    assert bad_id.status_code == 422 and "customer_ids[1]" in bad_id.json()["detail"]
    neither = client.post("/predict", json={"customers": [1]}, headers=auth)
    assert neither.status_code == 422 and "customers" in neither.json()["detail"]
    row = dict.fromkeys(FEATURES, 1.0)
    del row["tenure_days"]
    short = client.post("/predict", json={"rows": [row]}, headers=auth)
    assert short.status_code == 422 and "rows[0]: missing tenure_days" in short.json()["detail"]
    text = client.post("/predict", json={"rows": [{**row, "tenure_days": "long"}]}, headers=auth)
    assert text.status_code == 422 and "rows[0].tenure_days" in text.json()["detail"]
    broken = client.post(
        "/predict", data='{"customer_ids": [1', headers={**auth, "Content-Type": "application/json"}
    )
    assert broken.status_code == 422 and "not valid JSON" in broken.json()["detail"]
    unknown = client.post("/predict", json={"customer_ids": [987654]}, headers=auth)
    assert unknown.status_code == 404 and "987654" in unknown.json()["detail"]
    ok = client.post("/predict", json={"rows": [{**row, "tenure_days": 30.0}]}, headers=auth)
    assert ok.status_code == 200 and 0 <= ok.json()["predictions"][0]["score"] <= 1


def test_a_worse_candidate_is_not_promoted_and_the_champion_stays(trained):
    before = int(champion(trained.tracking, names.MODEL_NAME).version)
    weak = {names.MODEL_KEY.to_python_identifier(): {"config": {"features": ["marketing_opt_in"]}}}
    result = trained.run(names.MODEL_KEY, names.CHAMPION_KEY, config=weak, raise_on_error=False)
    assert result.success  # an outcome, not a failure: the pipeline's other assets still run
    checks = [
        e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    assert len(checks) == 1 and not checks[0].passed
    assert "is worse than champion" in checks[0].description
    candidate = trained.metadata(names.MODEL_KEY)["model_version"]
    assert candidate != before
    assert int(champion(trained.tracking, names.MODEL_NAME).version) == before
    kept = trained.metadata(names.CHAMPION_KEY)
    assert kept["promoted"] is False and kept["model_version"] == before
    assert kept["candidate_version"] == candidate and "is worse than champion" in kept["promotion"]
    # the champion asset alone applies the same rule
    alone = trained.run(names.CHAMPION_KEY, raise_on_error=False)
    assert alone.success
    assert int(champion(trained.tracking, names.MODEL_NAME).version) == before


def test_rebuild_from_pins_after_the_sources_changed_and_vacuum_spares_pinned_versions(trained, tmp_path):
    root = tmp_path / "home"
    shutil.copytree(trained.loc.home, root)
    home = Home(root)
    build = DatasetBuild(home.lake, names.DATASET, trained.metadata(names.DATASET_KEY)["build_id"])
    pins = card_pins(build.card())
    records = read_pins(home.lake)  # one per registered version, all of this build
    assert records and all(r["pins"] == pins and r["build_id"] == build.build_id for r in records)
    pinned_rows = read_sources(home.lake, pins)["curated.orders"].dataset()
    # the sources change: orders updated and added, customers changed (files rewritten)
    rows = shop_rows(700, seed=8)
    merge_curated(home.loc.lake_root, "orders", upserts=rows["orders"][:650])
    merge_curated(home.loc.lake_root, "customers", upserts=rows["customers"][:50])
    orders_uri = home.lake.delta_uri("curated", "orders")
    assert DeltaTable(orders_uri).version() > pins["curated.orders"]
    # rebuilt from its pins, the dataset equals what was written, file for file
    again = rebuild(build)
    for split, table in again.items():
        assert table.equals(build.rows(split)), split
    # a forced VACUUM with zero retention removes old files but none a pinned version reads
    for name in ("orders", "customers"):
        target = Target("curated", name, (), 168)
        report = vacuum(home.lake, target, retention_hours=0, force=True)
        assert report.details["retention_hours_pinned"] >= 1
    assert (
        DeltaTable(orders_uri, version=pins["curated.orders"]).to_pyarrow_table().num_rows
        == pinned_rows.count_rows()
    )
    for split, table in rebuild(build).items():
        assert table.equals(build.rows(split)), split
    # without a pin the same VACUUM removes what the old version read (the pin is what saved it)
    for pin in Path(home.lake.uri("ml", "_pins")).rglob("*.json"):
        pin.unlink()
    report = vacuum(home.lake, Target("curated", "orders", (), 168), retention_hours=0, force=True)
    assert report.details["files_deleted"] > 0
    with pytest.raises(Exception):  # noqa: B017 - delta-rs raises its own errors for missing files
        DeltaTable(orders_uri, version=pins["curated.orders"]).to_pyarrow_table()


def test_duckdb_reading_a_versions_files_gives_the_rows_of_delta_time_travel(trained):
    """The sources are the pinned versions' files, read by DuckDB: the same rows as a Delta
    read of those versions."""
    lake = trained.lake
    pins = card_pins(
        DatasetBuild(lake, names.DATASET, trained.metadata(names.DATASET_KEY)["build_id"]).card()
    )
    files = read_sources(lake, pins)
    delta = {
        label: DeltaTable(lake.delta_uri(*label.split(".")), version=v).to_pyarrow_table(
            columns=list(SOURCE_COLUMNS[label])
        )
        for label, v in pins.items()
    }
    assert all(files[label].dataset().count_rows() == delta[label].num_rows > 0 for label in pins)
    from_files, from_delta = dataset_rows(files, SplitSpec()), dataset_rows(delta, SplitSpec())
    for split in from_files:
        assert from_files[split].num_rows > 0 and from_files[split].equals(from_delta[split]), split
