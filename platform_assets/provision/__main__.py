"""`python -m platform_assets.provision`: create what `prod` needs, print what was done."""

import sys

from platform_assets.errors import PlatformError
from platform_assets.provision.run import provision_all

try:
    print(provision_all())
except PlatformError as exc:
    print(f"error: {exc}", file=sys.stderr)
    sys.exit(1)
