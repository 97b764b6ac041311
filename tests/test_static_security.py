"""What the static security checks (ruff's S rules) asked of the code at run time."""

from __future__ import annotations

import pytest

from platform_assets.errors import PlatformError
from platform_assets.observability.alerts import post_json


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/hook", "hook.example.org/x"])
def test_the_alert_webhook_refuses_anything_but_http(url, tmp_path):
    # urlopen would read a file: URL as happily as it posts to https (ruff S310)
    with pytest.raises(PlatformError, match="http"):
        post_json(url, {"event": "run_failure"}, timeout_s=1)
