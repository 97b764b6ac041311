"""A Kinesis consumer's position per shard, kept in the metadata store.

Each shard's item holds the last sequence number whose records are durably landed, an
optional pending batch (the last sequence number of a batch being written, recorded before
the write) and whether the shard was read to its end. Every save is conditional on the
item's version, so two consumers of one stream cannot both advance a shard: the slower one
gets ConcurrentUpdate and stops.

Why a pending mark: after a crash between landing a batch and committing its checkpoint,
the restarted consumer cuts its first batch at exactly the pending sequence number, so it
lands the very same file again (an idempotent overwrite) instead of a second, overlapping one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from platform_assets.metadata.store import MetadataStore


@dataclass(frozen=True)
class Checkpoint:
    shard_id: str
    sequence: str | None = None  # landed through here (AFTER_SEQUENCE_NUMBER resumes after it)
    pending_last: str | None = None  # a batch ending here may be landed, not yet committed
    finished: bool = False  # read to the end of a closed shard
    version: int | None = None  # the store item's version (None: never saved)

    def doc(self) -> dict:
        return {"sequence": self.sequence, "pending_last": self.pending_last, "finished": self.finished}


class CheckpointStore:
    def __init__(self, store: MetadataStore, app: str, stream: str):
        self.store, self.pk = store, f"checkpoint#{app}#{stream}"

    def load(self) -> dict[str, Checkpoint]:
        return {
            i.sk: Checkpoint(
                i.sk, i.doc.get("sequence"), i.doc.get("pending_last"), bool(i.doc.get("finished")), i.version
            )
            for i in self.store.query(self.pk)
        }

    def save(self, cp: Checkpoint, **changes) -> Checkpoint:
        new = replace(cp, **changes)
        item = self.store.put(self.pk, cp.shard_id, new.doc(), expected_version=cp.version)
        return replace(new, version=item.version)
