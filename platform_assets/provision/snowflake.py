"""The Snowflake side of `prod`: the Snowflake migrations (warehouse/snowflake_objects), the one
source of the database, schemas, roles, warehouses, grants, file format, stages, PII tag and
policies, applied as `lakehouse snowflake apply` applies them.

A migration applied now is reported as created, a repeatable one re-applied because it renders
differently (a moved lake's stages, a new schema or PII column) as updated, one applied before
and unchanged as found: a second run creates nothing. The connection is the loader's
(`warehouse.resources.snowflake_resource`, with its timeouts), as SNOWFLAKE_ADMIN_ROLE when set:
roles, warehouses, integrations and policies need an administrator's role.
"""

from __future__ import annotations

from platform_assets.provision.report import ProvisionReport
from platform_assets.provision.settings import ProvisionSettings


def provision_snowflake(settings: ProvisionSettings) -> ProvisionReport:
    """Apply the pending migrations; report each migration (applied, re-applied, found)."""
    from platform_assets.warehouse.snowflake_objects.run import apply_migrations

    outcome = apply_migrations()
    report = ProvisionReport()
    for step in outcome.applied:
        what = f"Snowflake migration {step.script} ({len(step.migration.statements)} statements)"
        (report.updated if step.reason == "changed" else report.created).append(what)
    report.found += [f"Snowflake migration {script}" for script in outcome.plan.up_to_date]
    return report
