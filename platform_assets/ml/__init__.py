"""Machine learning on the lake: churn datasets pinned to Delta versions, training tracked in
MLflow (SageMaker in `prod`), promotion behind a check, batch scoring, monitoring and
a real-time endpoint.

One concern per module: `names` (keys, tables, owner), `features` (the feature logic, pure),
`sources` (reading the lake at pins), `dataset` (builds, layout, data card), `pins` (the pin
store maintenance reads), `registry` (MLflow), `evaluation`, `training` (local sklearn),
`sagemaker` (training job and endpoint), `trainer` (the profile's resource), `scoring`,
`monitoring`, `warehouse_tables`, `assets`, `serve` (the HTTP endpoint).
"""
