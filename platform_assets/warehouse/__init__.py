"""The warehouse: dbt models over the curated zone, run by Dagster as assets.

`dbt_sources` renders the dbt sources from the table contracts, `project` points at the dbt
project and its prepared manifest, `translator` maps dbt nodes to asset keys that continue the
lake's lineage, `resources` builds the dbt CLI resource, `assets` defines the dbt assets.
Importing this package is cheap: the manifest is only read when `assets` is imported.
"""
