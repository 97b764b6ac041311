"""Dashboards for the business: the marts as self-contained HTML pages, served with access
control, and (in `prod`) QuickSight's data sets, dashboards and group permissions as code.

- `registry`: every dashboard declared once (title, audiences, tables, charts); everything
  below is generated from it;
- `queries` a chart's SQL, `reader` the warehouse read session (DuckDB read-only locally,
  Snowflake in prod), `figures` Plotly figures, `render` the pages and the index, `site` where
  the pages are written and read (a folder, or S3 in prod);
- `assets` / `defs`: the Dagster assets (group `dashboards`) and their hourly schedule;
- `access` users, credentials and audiences; `server` the FastAPI server
  (`lakehouse dashboards serve`);
- `quicksight`: QuickSight as code through boto3 (`lakehouse dashboards quicksight`).
"""
