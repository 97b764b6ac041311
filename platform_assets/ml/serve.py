"""The real-time endpoint: `lakehouse serve model` (FastAPI), the champion over HTTP JSON.

    POST /predict   Authorization: Bearer <PLATFORM_ML_SERVE_TOKEN>
        {"customer_ids": [17, 42]}                      features from the lake, now
        {"rows": [{"tenure_days": 120.5, ...}, ...]}    features given by the caller
    -> {"model", "model_version", "feature_versions", "predictions": [{"customer_id"?, "score", "churn"}]}
    GET /health     the model version served (no token needed, nothing secret)

The champion is loaded from MLflow when the app starts. Features for customer ids come from
the newest Delta versions: each request checks the source tables' versions and recomputes the
features (the same `features.scoring_rows` batch scoring uses) only when one changed.

Errors are 4xx with one message naming the problem: 401 without the token or with a wrong one,
422 for a malformed body (the field named: `customer_ids[1]`, `rows[0].tenure_days`), 404 for
customer ids with no order in the lake. The token is compared in constant time, never logged.
"""

from __future__ import annotations

import hmac
import threading

import pyarrow as pa
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, model_validator

from platform_assets.errors import PlatformError
from platform_assets.lake import Lake
from platform_assets.ml.evaluation import THRESHOLD
from platform_assets.ml.features import FEATURES, scoring_rows
from platform_assets.ml.names import MODEL_NAME
from platform_assets.ml.registry import Tracking, load_model, require_champion
from platform_assets.ml.sources import current_pins, read_sources

MAX_ITEMS = 1000  # per request


class PredictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_ids: list[int] | None = None
    rows: list[dict[str, float]] | None = None

    @model_validator(mode="after")
    def _one_of(self) -> PredictRequest:
        given = [n for n in ("customer_ids", "rows") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError(
                "send exactly one of customer_ids (a list of ids) or rows (a list of feature objects)"
            )
        items = self.customer_ids if self.customer_ids is not None else self.rows
        if not items:
            raise ValueError(f"{given[0]} is empty")
        if len(items) > MAX_ITEMS:
            raise ValueError(f"{given[0]} has {len(items)} items; at most {MAX_ITEMS} per request")
        return self


class LiveFeatures:
    """Scoring features per customer from the newest Delta versions, recomputed on a change."""

    def __init__(self, lake: Lake) -> None:
        self.lake = lake
        self.pins: dict[str, int] | None = None
        self.by_customer: dict[int, dict] = {}
        self.lock = threading.Lock()

    def current(self) -> tuple[dict[str, int], dict[int, dict]]:
        with self.lock:
            pins = current_pins(self.lake)
            if pins != self.pins:
                rows = scoring_rows(read_sources(self.lake, pins))
                self.by_customer = {r["customer_id"]: r for r in rows.to_pylist()}
                self.pins = pins
            return self.pins, self.by_customer


def _field(loc: tuple) -> str:
    """`("body", "rows", 0, "tenure_days")` -> `rows[0].tenure_days`."""
    text = ""
    for part in loc[1:] if loc and loc[0] == "body" else loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "body"


def _problem(error: dict) -> str:
    if error.get("type") == "json_invalid":
        reason = error.get("ctx", {}).get("error", "")
        return f"the body is not valid JSON (at character {error['loc'][-1]}): {reason}"
    return f"{_field(tuple(error['loc']))}: {error['msg']}"


def create_app(lake: Lake, tracking: Tracking, token: str, model: str = MODEL_NAME) -> FastAPI:
    if not token:
        raise PlatformError("PLATFORM_ML_SERVE_TOKEN is not set: the model endpoint needs a bearer token")
    champion = require_champion(tracking, model)
    version = int(champion.version)
    estimator = load_model(tracking, model, version)
    names = list(getattr(estimator, "feature_names_in_", FEATURES))
    live = LiveFeatures(lake)
    app = FastAPI(title=f"{model} model endpoint", version=str(version))
    bearer = HTTPBearer(auto_error=False)

    @app.exception_handler(RequestValidationError)
    async def _malformed(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [_problem(e) for e in exc.errors()]
        return JSONResponse(
            status_code=422, content={"detail": "malformed request body: " + "; ".join(problems)}
        )

    def authorized(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:  # noqa: B008
        if credentials is None:
            raise HTTPException(
                401,
                "missing bearer token: send Authorization: Bearer <token>",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if not hmac.compare_digest(credentials.credentials.encode(), token.encode()):
            raise HTTPException(401, "invalid bearer token", headers={"WWW-Authenticate": "Bearer"})

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok", "model": model, "model_version": version}

    @app.post("/predict", dependencies=[Depends(authorized)])
    def predict(body: PredictRequest) -> dict:
        pins = None
        if body.customer_ids is not None:
            pins, by_customer = live.current()
            unknown = [c for c in body.customer_ids if c not in by_customer]
            if unknown:
                raise HTTPException(404, f"customer_ids without any order in the lake: {unknown[:20]}")
            rows = [by_customer[c] for c in body.customer_ids]
        else:
            rows = body.rows or []
            for i, row in enumerate(rows):
                missing = [n for n in names if n not in row]
                extra = sorted(set(row) - set(names))
                if missing or extra:
                    what = f"missing {', '.join(missing)}" if missing else f"unknown {', '.join(extra)}"
                    raise HTTPException(
                        422, f"malformed request body: rows[{i}]: {what}; features: {', '.join(names)}"
                    )
        frame = pa.Table.from_pylist([{n: float(r[n]) for n in names} for r in rows]).to_pandas()
        scores = estimator.predict_proba(frame)[:, 1]
        predictions = []
        for row, s in zip(rows, scores, strict=True):
            item = {"score": round(float(s), 6), "churn": bool(s >= THRESHOLD)}
            if "customer_id" in row:
                item = {"customer_id": row["customer_id"], **item}
            predictions.append(item)
        return {
            "model": model,
            "model_version": version,
            "feature_versions": pins,
            "predictions": predictions,
        }

    return app


def serve(host: str = "127.0.0.1", port: int = 8091) -> None:
    """`lakehouse serve model`: the champion of the profile's MLflow store over the profile's lake."""
    import uvicorn

    from platform_assets.profile import resources_for
    from platform_assets.variables import value

    resources = resources_for()
    lake = resources["lake"].process_config_and_initialize().lake()
    tracking = resources["ml_trainer"].process_config_and_initialize().tracking()
    app = create_app(lake, tracking, value("PLATFORM_ML_SERVE_TOKEN") or "")
    uvicorn.run(app, host=host, port=port, log_level="info")
