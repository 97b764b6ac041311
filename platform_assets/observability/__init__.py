"""Alerts and metrics: a run-failure sensor (log + optional webhook) and the processed zone's
metrics (rows applied, source-to-processed lag) put to CloudWatch in `prod`, logged locally."""
