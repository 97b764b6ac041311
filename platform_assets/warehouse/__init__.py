"""The warehouse: the curated zone loaded into `raw`, dbt models over it, run by Dagster.

- `delta_files`, `load_sql`, `loader`, `emulator`: which Delta data files to copy or drop, the
  SQL per engine (COPY INTO on Snowflake, read_parquet on DuckDB), running it, the fakesnow shim;
- `raw_assets`: the loader as assets `warehouse/raw/<table>`, downstream of `curated/<table>`;
- `dbt_sources` renders the dbt sources from the table contracts; `project` points at the dbt
  project and its prepared manifest; `translator` maps dbt nodes to asset keys, layer groups,
  owners and automation; `partitions` the facts' daily windows; `assets` the dbt assets;
- `resources` the dbt CLI and loader resources per target; `docs` the analysts' docs site;
  `defs` the list definitions.py spreads in.
Importing this package is cheap: the manifest is only read when `assets` is imported.
"""
