"""Create, idempotently, what `prod` needs, and report what was created, updated or found.

`provision_all()` runs the AWS part (`provision_aws`: the lake bucket, the metadata table, the
event stream, the Glue databases) and then each of `further_provisioners()` (the warehouse's
goes there). `python -m platform_assets.provision` runs it with the declared variables.
"""

from platform_assets.provision.aws import provision_aws
from platform_assets.provision.report import ProvisionError, ProvisionReport
from platform_assets.provision.run import further_provisioners, provision_all
from platform_assets.provision.settings import ProvisionSettings

__all__ = [
    "ProvisionError",
    "ProvisionReport",
    "ProvisionSettings",
    "further_provisioners",
    "provision_all",
    "provision_aws",
]
