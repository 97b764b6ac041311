"""A table's commits, newest first: what changed it, when, and the platform's commit keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from platform_assets.lake import Lake
from platform_assets.storage.delta_log import CUSTOM_PREFIX, commit_infos
from platform_assets.tables.asof import open_as_of
from platform_assets.tables.refs import TableRef


@dataclass(frozen=True)
class Commit:
    version: int
    timestamp: datetime | None
    operation: str
    parameters: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    custom: dict = field(default_factory=dict)  # lakehouse.* keys (watermark, restore audit)

    @classmethod
    def from_info(cls, info: dict) -> Commit:
        ts = info.get("timestamp")
        return cls(
            version=info["version"],
            timestamp=datetime.fromtimestamp(ts / 1000, UTC) if ts is not None else None,
            operation=info.get("operation", "?"),
            parameters=info.get("operationParameters") or {},
            metrics=info.get("operationMetrics") or {},
            custom={k: v for k, v in info.items() if k.startswith(CUSTOM_PREFIX)},
        )


def table_history(lake: Lake, ref: TableRef, limit: int | None = 20) -> list[Commit]:
    dt = open_as_of(lake, ref)
    return [Commit.from_info(i) for i in commit_infos(lake, ref.uri(lake), dt.version(), limit)]
