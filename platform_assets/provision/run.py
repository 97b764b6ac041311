"""Provision everything `prod` needs: AWS first, then each further provisioner in order."""

from __future__ import annotations

from collections.abc import Callable

from platform_assets.provision.aws import provision_aws
from platform_assets.provision.report import ProvisionReport
from platform_assets.provision.settings import ProvisionSettings

Provisioner = Callable[[ProvisionSettings], ProvisionReport]


def further_provisioners() -> list[Provisioner]:
    """What runs after AWS's part, in order. The hook for the warehouse: its provisioner (the
    Snowflake database, schemas and stage over the lake) is added here. Each takes the
    settings and returns a ProvisionReport; each must be idempotent."""
    from platform_assets.provision.snowflake import provision_snowflake

    return [provision_snowflake]


def provision_all(
    settings: ProvisionSettings | None = None, provisioners: list[Provisioner] | None = None
) -> ProvisionReport:
    settings = settings or ProvisionSettings.from_env()
    report = provision_aws(settings)
    for provision in further_provisioners() if provisioners is None else provisioners:
        report = report.merge(provision(settings))
    return report
