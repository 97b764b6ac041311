"""Keep a curated Delta table in step with its processed table, reading only what changed.

The processed tables have the change data feed on, so a refresh reads the feed since the
processed version it last synced (kept in the curated commit as `lakehouse.source_version`)
and merges just those keys. The first build, or a feed that is gone (vacuumed), falls back to
a full rebuild, written as a Delta overwrite so earlier versions stay readable by time travel.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
from deltalake import CommitProperties, DeltaTable, write_deltalake
from deltalake.exceptions import DeltaError

from platform_assets import killpoints
from platform_assets.contracts import TableContract
from platform_assets.curated.conform import conform
from platform_assets.curated.pii_key import key_id, pii_hash_key
from platform_assets.lake import Lake
from platform_assets.processed.change_files import changes_files_since, feed_of
from platform_assets.storage.delta import (
    CHANGE_FEED_PROPERTY,
    committed_value,
    ensure_properties,
    open_table,
    writer_properties,
)

SOURCE_VERSION_KEY = "lakehouse.source_version"
PII_KEY_ID_KEY = "lakehouse.pii_key_id"  # which PII hash key the table's hashes were made with
# Curated tables keep their own change data feed: the Delta Sharing server serves it.
CHANGE_FEED = {CHANGE_FEED_PROPERTY: "true"}
# A rebuild streams the processed table through conform() in batches of this many rows.
REBUILD_BATCH_ROWS = 100_000


@dataclass
class CuratedResult:
    table: str
    mode: str  # "unchanged", "incremental" or "rebuild"
    source_version: int
    rows_changed: int
    delta_version: int


def _plain_strings(table: pa.Table) -> pa.Table:
    """delta-rs returns string_view columns, which many Arrow kernels do not take yet."""
    fields = [pa.field(f.name, pa.string()) if f.type == pa.string_view() else f for f in table.schema]
    return table.cast(pa.schema(fields))


def _changes_since(lake: Lake, src: DeltaTable, since: int) -> pa.Table:
    """The processed feed after version `since`. A partition-rewrite commit's feed is its
    exact changes file (processed/change_files.py), not the whole partitions Delta derives."""
    newest = src.version()
    rewrites = changes_files_since(lake, src.table_uri, since, newest)
    parts, start = [], since + 1
    for version in [*sorted(rewrites), newest + 1]:
        if start < version:
            cdf = src.load_cdf(starting_version=start, ending_version=version - 1)
            parts.append(_plain_strings(pa.table(cdf.read_all())))
        if version in rewrites:
            try:
                parts.append(feed_of(lake, src.table_uri, rewrites[version], version))
            except FileNotFoundError as exc:  # past retention: like a vacuumed feed, rebuild
                raise DeltaError(f"changes file of processed version {version} is gone") from exc
        start = version + 1
    feed = pa.concat_tables(parts, promote_options="permissive")
    feed = feed.filter(pc.is_in(feed["_change_type"], pa.array(["insert", "update_postimage", "delete"])))
    return feed.sort_by([("_commit_version", "ascending")])


def _drop_deletes_of_absent_keys(cur: DeltaTable, c: TableContract, feed: pa.Table) -> pa.Table:
    """Deletes of keys the curated table never had (inserted and deleted between two
    refreshes) change nothing; leave them out: with the change data feed on, delta-rs's MERGE
    writes an all-null feed row for such a source row and fails its NOT NULL check."""
    deleted = pc.equal(feed["_change_type"], "delete")
    keys = pc.filter(feed[c.key], deleted)
    if len(keys) == 0:
        return feed
    present = cur.to_pyarrow_dataset().to_table(
        columns=[c.key], filter=ds.field(c.key).isin(keys.combine_chunks())
    )[c.key]
    absent = pc.and_(deleted, pc.invert(pc.is_in(feed[c.key], present.combine_chunks())))
    return feed.filter(pc.invert(absent))


def _merge_changes(
    cur: DeltaTable, c: TableContract, feed: pa.Table, state: dict[str, str], key: bytes | None
) -> int:
    if feed.num_rows:
        # the last event per key wins: newest version first, and within one version a re-insert
        # beats a delete (a RESTORE's feed deletes and re-adds every row it keeps)
        feed = feed.append_column("_survives", pc.not_equal(feed["_change_type"], "delete"))
        feed = feed.sort_by(
            [(c.key, "ascending"), ("_commit_version", "descending"), ("_survives", "descending")]
        )
        keys = feed[c.key].combine_chunks()
        keep = pa.concat_arrays([pa.array([True]), pc.not_equal(keys[1:], keys[:-1])])
        feed = _drop_deletes_of_absent_keys(cur, c, feed.filter(keep))
    if feed.num_rows == 0:
        # Processed versions without row changes (OPTIMIZE, VACUUM, a schema or property
        # commit), or only deletes of keys curated never had: nothing to merge. A commit of no
        # files records the version read, so curated is not reported behind processed.
        cur.create_write_transaction(
            [], mode="append", schema=cur.schema(), commit_properties=CommitProperties(custom_metadata=state)
        )
        return 0
    rows = conform(feed, c, key).append_column("_deleted", pc.equal(feed["_change_type"], "delete"))
    (
        cur.merge(
            rows,
            f"t.{c.key} = s.{c.key}",
            source_alias="s",
            target_alias="t",
            streamed_exec=False,
            writer_properties=writer_properties(cur),
            commit_properties=CommitProperties(custom_metadata=state),
        )
        .when_matched_delete(predicate="s._deleted")
        .when_matched_update_all(predicate="NOT s._deleted", except_cols=["_deleted"])
        .when_not_matched_insert_all(predicate="NOT s._deleted", except_cols=["_deleted"])
        .execute()
    )
    return rows.num_rows


def _ensure_change_feed(cur: DeltaTable, state: dict[str, str]) -> None:
    """Turn the change data feed on for a table created before it was (configuration passed
    to an overwrite only applies when the table is created); carries the state keys."""
    if ensure_properties(cur, CHANGE_FEED, state):
        cur.update_incremental()


def pii_state(lake: Lake, c: TableContract) -> tuple[bytes | None, dict[str, str]]:
    """The PII hash key `c` needs (None if it hashes nothing) and the commit value that names
    it, for every writer of a curated table (this refresh, a restore's rebuild)."""
    if not any(col.pii == "hash" for col in c.columns):
        return None, {}
    key = pii_hash_key(lake)
    return key, {PII_KEY_ID_KEY: key_id(key)}


def refresh_curated(lake: Lake, c: TableContract) -> CuratedResult:
    src = open_table(lake, "processed", c.name)
    if src is None:
        raise FileNotFoundError(
            f"processed table {c.name} does not exist yet; materialize processed/{c.name} first"
        )
    version = src.version()
    cur = open_table(lake, "curated", c.name)
    synced = int(committed_value(lake, cur, SOURCE_VERSION_KEY, "-1")) if cur else -1
    # a new PII key changes every hash: only a full rebuild leaves no old-key hash behind
    key, key_state = pii_state(lake, c)
    state = {SOURCE_VERSION_KEY: str(version), **key_state}
    if (
        key is not None
        and cur is not None
        and committed_value(lake, cur, PII_KEY_ID_KEY) != key_state[PII_KEY_ID_KEY]
    ):
        synced = -1
    if cur is not None:
        _ensure_change_feed(cur, {**state, SOURCE_VERSION_KEY: str(synced)})
    if cur is not None and synced == version:
        return CuratedResult(c.name, "unchanged", version, 0, cur.version())
    if cur is not None and synced >= 0:
        try:
            n = _merge_changes(cur, c, _changes_since(lake, src, synced), state, key)
            cur.update_incremental()
            killpoints.reached("curated.after_merge")
            return CuratedResult(c.name, "incremental", version, n, cur.version())
        except DeltaError:
            pass  # the feed for that range is gone: rebuild below
    src.load_as_version(version)
    rows = conformed_batches(src, c, key)
    write_deltalake(
        lake.delta_uri("curated", c.name),
        rows,
        mode="overwrite",
        schema_mode="overwrite",
        name=c.name,
        description=c.description,
        configuration=CHANGE_FEED,
        writer_properties=writer_properties(rows.reader.schema),
        storage_options=lake.storage_options,
        commit_properties=CommitProperties(custom_metadata=state),
    )
    killpoints.reached("curated.after_rebuild")
    cur = open_table(lake, "curated", c.name)
    return CuratedResult(c.name, "rebuild", version, rows.rows_read, cur.version())


class _CountingReader:
    """A stream of conformed batches for the writer, counting the rows it gave."""

    def __init__(self, schema: pa.Schema, batches) -> None:
        self.rows_read = 0
        self.reader = pa.RecordBatchReader.from_batches(schema, self._counted(batches))

    def _counted(self, batches):
        for b in batches:
            self.rows_read += b.num_rows
            yield b

    def __arrow_c_stream__(self, requested_schema=None):
        return self.reader.__arrow_c_stream__(requested_schema)


def conformed_batches(src: DeltaTable, c: TableContract, key: bytes | None) -> _CountingReader:
    """The processed table's current rows, conformed, as a stream of at most REBUILD_BATCH_ROWS
    rows a batch: a rebuild holds one batch in memory, not the table."""
    columns = [*c.column_names, "_commit_ts"]
    dataset = src.to_pyarrow_dataset()
    empty = conform(_plain_strings(dataset.schema.empty_table().select(columns)), c, key)
    batches = (
        conform(_plain_strings(pa.Table.from_batches([b])), c, key).to_batches()
        for b in dataset.to_batches(
            columns=columns, batch_size=REBUILD_BATCH_ROWS, batch_readahead=2, fragment_readahead=1
        )
    )
    return _CountingReader(empty.schema, (b for bs in batches for b in bs))
