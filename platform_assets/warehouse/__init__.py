"""The warehouse: the curated zone copied into schema `curated`, dbt models over it, run by Dagster.

- `delta_files`, `load_sql`, `loader`, `emulator`: which Delta data files to copy or drop, the
  SQL per engine (COPY INTO on Snowflake, read_parquet on DuckDB), running it, the fakesnow shim;
- `curated_copies`: the loader as assets `warehouse/curated/<table>`, downstream of the lake's
  `curated/<table>`; `keys` the schema, asset keys and pool names, made in one place;
- `dbt_sources` renders the dbt sources from the table contracts; `project` points at the dbt
  project and its prepared manifest; `translator` maps dbt nodes to asset keys, layer groups,
  owners and automation; `partitions` the facts' daily windows; `assets` the dbt assets;
- `resources` the dbt CLI and loader resources per target; `docs` the analysts' docs site;
  `defs` the list definitions.py spreads in.
Importing this package is cheap: the manifest is only read when `assets` is imported.
"""
