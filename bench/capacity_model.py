"""The apply part of docs/capacity.md, recomputed from a CDC apply benchmark's results.

python -m bench.capacity_model [bench/results/cdc_apply_full.json]

1. Fits `seconds = a × rows rewritten + b × changes` (least squares through zero) to the
   platform's batches in the results file (every table size in it).
2. Applies the fit to the capacity model's scale points: per 60 s batch of `k = rate × 60`
   changes in the bench's mix (bench/data.py: 40% inserts; of the updates and deletes 95% hit
   the last day's keys and 5% keys at random), the key-range partitions touched are
      tail inserts          0.4k / bucket + 1
    + hot partitions        Ph × (1 − e^(−0.57k / Ph)),  Ph = a day's new keys / bucket
    + uniform partitions    P × (1 − e^(−0.03k / P)),    P  = N / bucket
   and each is rewritten whole (one file per partition after OPTIMIZE). The 1-vCPU run task
   takes twice the 2-core time (assumption A6 in docs/capacity.md).
Prints both as Markdown, for the document's table.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np

from bench.data import HOT_SHARE, INSERT_SHARE, ORDERS

BATCH_S = 60
TOUCHING = 1 - INSERT_SHARE  # updates and deletes
SCALES = [  # (rows, changes per second)
    (10_000_000, 100),
    (100_000_000, 100),
    (1_000_000_000, 100),
    (1_000_000_000, 1_000),
    (1_000_000_000, 10_000),
    (1_000_000_000, 100_000),
]


def fit(results: dict) -> tuple[float, float, float]:
    """(seconds per rewritten row, seconds per change, the largest error in seconds)."""
    x, y = [], []
    for size in results["cdc_apply"]:
        for b in size["engines"]["platform"]["batches"]:
            x.append([b["rows_rewritten"], b["batch"]])
            y.append(b["seconds"])
    x_, y_ = np.array(x, float), np.array(y)
    (per_row, per_change), *_ = np.linalg.lstsq(x_, y_, rcond=None)
    return float(per_row), float(per_change), float(np.abs(x_ @ [per_row, per_change] - y_).max())


def partitions_touched(rows: int, rate: int, bucket: int = ORDERS.key_bucket_size) -> float:
    k = rate * BATCH_S
    everything = rows / bucket
    hot = INSERT_SHARE * rate * 86_400 / bucket
    tail = INSERT_SHARE * k / bucket + 1
    return min(
        everything,
        tail
        + hot * (1 - math.exp(-TOUCHING * HOT_SHARE * k / hot))
        + everything * (1 - math.exp(-TOUCHING * (1 - HOT_SHARE) * k / everything)),
    )


def _rows(n: int) -> str:
    return f"{n / 1e9:g}B" if n >= 1e9 else f"{n / 1e6:g}M"


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "bench/results/cdc_apply_full.json")
    per_row, per_change, error = fit(json.loads(path.read_text()))
    print(
        f"Fit of `{path.name}`: {per_row * 1e6:.3f} µs per rewritten row + "
        f"{per_change * 1e6:.2f} µs per change (2 cores), largest error {error:.3f} s\n"
    )
    print("| scale | partitions touched / all | rows rewritten per batch | apply (1 vCPU) |")
    print("|---|---|---|---|")
    bucket = ORDERS.key_bucket_size
    for rows, rate in SCALES:
        touched = partitions_touched(rows, rate)
        rewritten = min(rows, touched * bucket)
        seconds = 2 * (per_row * rewritten + per_change * rate * BATCH_S)  # A6: 1 vCPU
        share = f" ({seconds / BATCH_S:.0%})" if seconds < BATCH_S else ""
        print(
            f"| {_rows(rows)}, {rate:,}/s | {touched:,.0f} / {rows // bucket:,} "
            f"| {rewritten / 1e6:,.1f}M | {seconds:,.1f} s{share} |"
        )


if __name__ == "__main__":
    main()
