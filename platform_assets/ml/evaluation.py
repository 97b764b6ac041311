"""How models are measured and compared: one set of metrics, one promotion rule.

ROC AUC decides promotion (it does not depend on a threshold and is stable with the
dataset's near-even label balance); the others are reported beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

THRESHOLD = 0.5  # a score at or above it predicts churn
# a candidate may trail the champion by this much AUC (noise of ~100 validation rows) and
# still be promoted; anything worse is blocked
TOLERANCE = 0.005


def metrics(labels, scores) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

    y = np.asarray(labels, dtype=int)
    p = np.clip(np.asarray(scores, dtype=float), 1e-7, 1 - 1e-7)
    return {
        "auc": round(float(roc_auc_score(y, p)), 6),
        "log_loss": round(float(log_loss(y, p, labels=[0, 1])), 6),
        "accuracy": round(float(accuracy_score(y, p >= THRESHOLD)), 6),
        "predicted_positive_rate": round(float(np.mean(p >= THRESHOLD)), 6),
        "label_rate": round(float(np.mean(y)), 6),
        "rows": float(len(y)),
    }


@dataclass(frozen=True)
class Comparison:
    candidate_auc: float
    champion_auc: float | None  # None: there is no champion yet
    champion_version: int | None

    @property
    def passed(self) -> bool:
        return self.champion_auc is None or self.candidate_auc >= self.champion_auc - TOLERANCE

    @property
    def description(self) -> str:
        if self.champion_auc is None:
            return f"no champion yet: the candidate (AUC {self.candidate_auc:.4f}) may become it"
        verdict = "may replace" if self.passed else "is worse than"
        return (
            f"candidate AUC {self.candidate_auc:.4f} {verdict} champion v{self.champion_version} "
            f"AUC {self.champion_auc:.4f} on the pinned validation set (tolerance {TOLERANCE})"
        )
