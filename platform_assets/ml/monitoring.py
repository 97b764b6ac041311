"""Model monitoring: one row per scoring run for the dashboards (`ml.churn_model_monitoring`).

- `mean_score`, `predicted_positive_rate`: the run's scores;
- `label_rate`: the churn rate last observed, the label rate of the newest fully labelled
  window (the model's dataset's test split); next to the predicted rate it shows calibration;
- `psi`: the population stability index of the run's scores against the scores of the
  model's pinned validation set, over ten bins at the reference's deciles (above ~0.2 the
  score distribution has moved: retrain).

The table's columns are fixed (a dashboard reads them); a run is appended once: a row with the
same `scored_at` and `model_version` is never added twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

TABLE_COLUMNS = (
    ("scored_at", "timestamp"),
    ("model_version", "integer"),
    ("rows", "bigint"),
    ("mean_score", "double"),
    ("predicted_positive_rate", "double"),
    ("label_rate", "double"),
    ("psi", "double"),
)


def psi(reference, current, bins: int = 10) -> float:
    """Population stability index of `current` against `reference` (both scores in [0, 1])."""
    ref = np.asarray(reference, dtype=float)
    cur = np.asarray(current, dtype=float)
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)))
    edges[0], edges[-1] = -np.inf, np.inf
    ref_share = np.histogram(ref, edges)[0] / len(ref)
    cur_share = np.histogram(cur, edges)[0] / len(cur)
    ref_share, cur_share = np.clip(ref_share, 1e-6, None), np.clip(cur_share, 1e-6, None)
    return float(np.sum((cur_share - ref_share) * np.log(cur_share / ref_share)))


@dataclass(frozen=True)
class MonitoringRow:
    scored_at: datetime  # naive UTC
    model_version: int
    rows: int
    mean_score: float
    predicted_positive_rate: float
    label_rate: float
    psi: float

    def values(self) -> tuple:
        return tuple(getattr(self, n) for n, _ in TABLE_COLUMNS)


def monitoring_row(
    scored_at, model_version: int, scores, reference_scores, label_rate: float, threshold: float
):
    s = np.asarray(scores, dtype=float)
    return MonitoringRow(
        scored_at=scored_at.replace(tzinfo=None) if scored_at.tzinfo else scored_at,
        model_version=int(model_version),
        rows=int(len(s)),
        mean_score=round(float(s.mean()), 6),
        predicted_positive_rate=round(float(np.mean(s >= threshold)), 6),
        label_rate=round(float(label_rate), 6),
        psi=round(psi(reference_scores, s), 6),
    )
