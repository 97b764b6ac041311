"""The churn features and splits: no split sees the future of a later one, features use only
the past, and the same sources give the same rows."""

from __future__ import annotations

from datetime import timedelta

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from ml_data import churn_sources

from platform_assets.ml.dataset import channel_csv
from platform_assets.ml.features import (
    FEATURES,
    LABEL,
    PER_MILLION,
    SPLITS,
    CustomerSample,
    SplitSpec,
    customer_sample,
    dataset_rows,
    feature_rows,
    scoring_batches,
    scoring_rows,
    split_cutoffs,
)


@pytest.fixture(scope="module")
def sources() -> dict[str, pa.Table]:
    return churn_sources()


def _before(sources: dict[str, pa.Table], when) -> dict[str, pa.Table]:
    """The sources as if nothing had happened from `when` on."""
    orders, events = sources["curated.orders"], sources["processed.events"]
    return {
        **sources,
        "curated.orders": orders.filter(
            pc.less(orders["order_ts"], pa.scalar(when, orders["order_ts"].type))
        ),
        "processed.events": events.filter(
            pc.less(events["event_ts"], pa.scalar(when, events["event_ts"].type))
        ),
    }


def test_each_splits_label_window_ends_before_the_next_split_begins(sources):
    spec = SplitSpec()
    cut = split_cutoffs(sources["curated.orders"], spec)
    window = timedelta(days=spec.label_days)
    assert max(cut["train"]) + window <= min(cut["validation"])
    assert max(cut["validation"]) + window <= min(cut["test"])
    newest = pc.max(sources["curated.orders"]["order_ts"]).as_py()
    assert max(cut["test"]) + window <= newest
    rows = dataset_rows(sources, spec)
    assert all(rows[s].num_rows > 80 for s in SPLITS)
    assert all(0.2 < pc.mean(rows[s][LABEL]).as_py() < 0.8 for s in SPLITS)  # both classes


def test_no_split_sees_the_future_of_a_later_one(sources):
    """Erasing everything from the validation cutoff on leaves train unchanged (features and
    labels); erasing everything from the test cutoff on leaves validation unchanged."""
    spec = SplitSpec()
    cut = split_cutoffs(sources["curated.orders"], spec)
    full = feature_rows(sources, cut, spec.label_days)
    for split, later in (("train", "validation"), ("validation", "test")):
        erased = feature_rows(_before(sources, min(cut[later])), cut, spec.label_days)
        mine = [pc.equal(t["split"], split) for t in (full, erased)]
        assert full.filter(mine[0]).equals(erased.filter(mine[1])), split
        # the erased data did matter to the later split (the test could fail)
        assert not full.filter(pc.equal(full["split"], later)).equals(
            erased.filter(pc.equal(erased["split"], later))
        )


def test_features_use_only_what_happened_before_the_cutoff(sources):
    spec = SplitSpec()
    cut = split_cutoffs(sources["curated.orders"], spec)
    scoring = {"score": [min(cut["test"])]}
    full = feature_rows(sources, scoring)
    erased = feature_rows(_before(sources, min(cut["test"])), scoring)
    assert full.equals(erased)
    assert full.num_rows > 80 and full[LABEL].null_count == full.num_rows  # scoring: no label


def test_the_same_sources_give_the_same_rows_and_channel_bytes(sources):
    first, second = dataset_rows(sources, SplitSpec()), dataset_rows(sources, SplitSpec())
    for split in SPLITS:
        assert first[split].equals(second[split])
        text = channel_csv(first[split]).decode()
        lines = text.splitlines()
        assert len(lines) == first[split].num_rows
        # headerless, label first, then every feature
        assert lines[0].split(",")[0] in ("0", "1") and len(lines[0].split(",")) == 1 + len(FEATURES)
        assert [int(line.split(",")[0]) for line in lines] == first[split][LABEL].to_pylist()


def test_a_dataset_past_max_customers_follows_a_fixed_hash_sample_of_them(sources):
    whole = dataset_rows(sources, SplitSpec())
    customers = len(pc.unique(sources["curated.orders"]["customer_id"]))
    assert customer_sample(sources, SplitSpec()) == CustomerSample(customers)  # all of them
    # a bound at the number of customers keeps every row
    assert all(dataset_rows(sources, SplitSpec(max_customers=customers))[s].equals(whole[s]) for s in SPLITS)
    spec = SplitSpec(max_customers=customers // 3)
    sample = customer_sample(sources, spec)
    assert sample.customers == customers and sample.kept_per_million < PER_MILLION
    rows = dataset_rows(sources, spec, sample)
    kept = set(pc.unique(pa.concat_tables(rows.values())["customer_id"]).to_pylist())
    assert 0.5 * spec.max_customers <= len(kept) <= 1.5 * spec.max_customers
    for split in SPLITS:
        # the sample's rows are exactly the whole dataset's rows of the kept customers
        mask = pc.is_in(whole[split]["customer_id"], pa.array(sorted(kept), pa.int64()))
        assert rows[split].equals(whole[split].filter(mask)), split
    # the same customers again: a rebuild from the same sources samples the same
    assert all(dataset_rows(sources, spec)[s].equals(rows[s]) for s in SPLITS)


def test_scoring_batches_are_the_scoring_rows_a_batch_at_a_time(sources):
    whole = scoring_rows(sources)
    batches = list(scoring_batches(sources, batch_rows=50))
    assert len(batches) > 2 and max(b.num_rows for b in batches) <= 50
    assert pa.Table.from_batches(batches).equals(whole)
