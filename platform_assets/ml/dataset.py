"""A training dataset: its build id, its files in the lake's `ml/` area and its data card.

Layout, the one SageMaker's training channels read (an S3 prefix per channel):

    <lake>/ml/<dataset>/<build_id>/train/part-0.csv        channel `train`
    <lake>/ml/<dataset>/<build_id>/validation/part-0.csv   channel `validation`
    <lake>/ml/<dataset>/<build_id>/test/part-0.csv         kept for the final evaluation
    <lake>/ml/<dataset>/<build_id>/rows/<split>.parquet    the same rows with their keys
    <lake>/ml/<dataset>/<build_id>/data_card.json

The channels are headerless CSV with the label in the first column, then the features in the
data card's order: what SageMaker's built-in algorithms (XGBoost, Linear Learner) read as
`text/csv`, and what a script container reads without a parser. They hold no key (a built-in
algorithm would take a key for a feature); `rows/` keeps keys and cutoffs beside them, outside
the channel prefixes, for scoring, evaluation and audits.

The build id is a hash of the pins, the split spec and the feature version: the same sources
give the same id, so building twice writes nothing new and a rebuild from the card's pins
(`rebuild`) is comparable file for file.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from platform_assets.errors import PlatformError
from platform_assets.lake import Lake
from platform_assets.ml.features import (
    FEATURE_VERSION,
    FEATURES,
    KEYS,
    LABEL,
    SPLITS,
    CustomerSample,
    SplitSpec,
    customer_sample,
    dataset_rows,
)
from platform_assets.ml.sources import Pins, read_sources
from platform_assets.storage.files import parquet_bytes, write_bytes_atomic

CSV_CONTENT_TYPE = "text/csv"
CARD = "data_card.json"


def build_id(pins: Pins, spec: SplitSpec) -> str:
    text = json.dumps({"pins": pins, "spec": spec.as_dict(), "features": FEATURE_VERSION}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class DatasetBuild:
    lake: Lake
    dataset: str
    build_id: str

    @property
    def root(self) -> str:
        return self.lake.uri("ml", self.dataset, self.build_id)

    def channel_uri(self, split: str) -> str:
        """The channel's prefix (what a SageMaker S3DataSource's S3Uri names)."""
        return f"{self.root}/{split}"

    def csv_uri(self, split: str) -> str:
        return f"{self.channel_uri(split)}/part-0.csv"

    def rows_uri(self, split: str) -> str:
        return f"{self.root}/rows/{split}.parquet"

    @property
    def card_uri(self) -> str:
        return f"{self.root}/{CARD}"

    def exists(self) -> bool:
        from pyarrow.fs import FileType

        info = self.lake.filesystem().get_file_info(self.lake.fs_path(self.card_uri))
        return info.type == FileType.File

    def card(self) -> dict:
        try:
            with self.lake.filesystem().open_input_stream(self.lake.fs_path(self.card_uri)) as f:
                return json.loads(f.read())
        except FileNotFoundError:
            raise PlatformError(
                f"dataset {self.dataset} has no build {self.build_id} ({self.card_uri})"
            ) from None

    def rows(self, split: str) -> pa.Table:
        with self.lake.filesystem().open_input_file(self.lake.fs_path(self.rows_uri(split))) as f:
            return pq.read_table(f)

    def csv_bytes(self, split: str) -> bytes:
        with self.lake.filesystem().open_input_stream(self.lake.fs_path(self.csv_uri(split))) as f:
            return f.read()


def channel_csv(rows: pa.Table) -> bytes:
    """Headerless CSV, label first, then FEATURES in order."""
    out = io.BytesIO()
    table = rows.select([LABEL, *FEATURES])
    pacsv.write_csv(table, out, pacsv.WriteOptions(include_header=False))
    return out.getvalue()


def _card(
    build: DatasetBuild,
    pins: Pins,
    spec: SplitSpec,
    sample: CustomerSample,
    splits: dict[str, pa.Table],
    loads: dict,
) -> dict:
    schema = splits["train"].schema
    return {
        "dataset": build.dataset,
        "build_id": build.build_id,
        "built_at": datetime.now(UTC).isoformat(),
        "feature_version": FEATURE_VERSION,
        "spec": spec.as_dict(),
        "customer_sample": sample.as_dict(),
        "sources": {label: {"delta_version": v} for label, v in sorted(pins.items())},
        "warehouse_loads": loads,
        "format": {
            "channels": {s: build.channel_uri(s) for s in SPLITS},
            "content_type": CSV_CONTENT_TYPE,
            "header": False,
            "columns": [LABEL, *FEATURES],  # the CSV's column order: label first
        },
        "schema": [{"name": f.name, "type": str(f.type), "role": _role(f.name)} for f in schema],
        "splits": {
            s: {
                "rows": t.num_rows,
                "customers": len(pc.unique(t["customer_id"])),
                "cutoffs": sorted({c.isoformat() for c in t["cutoff"].to_pylist()}),
                "label_positive": int(pc.sum(t[LABEL]).as_py() or 0),
                "label_rate": round((pc.sum(t[LABEL]).as_py() or 0) / t.num_rows, 6) if t.num_rows else None,
            }
            for s, t in splits.items()
        },
    }


def _role(name: str) -> str:
    return "label" if name == LABEL else "key" if name in KEYS else "feature"


def write_build(lake: Lake, dataset: str, pins: Pins, spec: SplitSpec, loads: dict | None = None):
    """Build the dataset from the sources at `pins` and write it, unless that build exists.

    Returns (build, card, written): written is False when the build was already there.
    """
    build = DatasetBuild(lake, dataset, build_id(pins, spec))
    if build.exists():
        return build, build.card(), False
    sources = read_sources(lake, pins)
    sample = customer_sample(sources, spec)
    splits = dataset_rows(sources, spec, sample)
    for split, rows in splits.items():
        if rows.num_rows == 0:
            raise PlatformError(
                f"dataset {dataset}: split {split} has no rows (pins {pins}); the lake holds too "
                f"little order history for {spec}"
            )
        write_bytes_atomic(lake, build.rows_uri(split), parquet_bytes(rows))
        write_bytes_atomic(lake, build.csv_uri(split), channel_csv(rows))
    card = _card(build, pins, spec, sample, splits, loads or {})
    # the card last: a build with a card is complete (`exists`)
    write_bytes_atomic(lake, build.card_uri, json.dumps(card, indent=2, sort_keys=True).encode())
    return build, card, True


def card_pins(card: dict) -> Pins:
    return {label: int(s["delta_version"]) for label, s in card["sources"].items()}


def rebuild(build: DatasetBuild) -> dict[str, pa.Table]:
    """The build's rows again, from the sources at the card's pins (Delta time travel)."""
    card = build.card()
    return dataset_rows(read_sources(build.lake, card_pins(card)), SplitSpec(**card["spec"]))
