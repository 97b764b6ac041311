"""Snowflake's objects as code: versioned, idempotent SQL migrations (`migrations/`), rendered
with names from the settings, the warehouse's own names and the contracts, and applied by
`lakehouse snowflake apply` (and by provisioning) with a history table that makes a second
apply change nothing.

- `account.py`: what exists on the account and what it is called (database, schemas, roles,
  warehouses, stages, PII columns), read from variables.py, warehouse/keys.py, dbt_project.yml
  and the contracts; no name is written here a second time.
- `migrations.py`: the templates rendered into statements, with their checksum and whether
  fakesnow can run them.
- `apply.py`: the plan against the history table, and the apply.
"""
