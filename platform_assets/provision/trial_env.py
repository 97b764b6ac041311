"""The environment of a `prod` trial on one machine: the variables a prod run reads, pointed at
the local protocol servers, kept in one file a shell can source.

`.platform/prod-trial.env` holds every variable the trial sets (`KEY='value'` lines, mode 0600):
`set -a; . .platform/prod-trial.env; make dev` opens the UI on the trial. The credentials are
the servers' test values (moto takes any key; fakesnow any user), never the user's; the PII
key is made once per platform home and kept, so a second trial hashes the same way.
"""

from __future__ import annotations

import secrets
import shlex
from pathlib import Path

from platform_assets.errors import PlatformError
from platform_assets.provision.servers import write_private
from platform_assets.settings import Locations
from platform_assets.variables import declared

TRIAL_BUCKET = "lakehouse-trial"
TRIAL_LAKE_URI = f"s3://{TRIAL_BUCKET}/lake"
TRIAL_DATABASE = "LAKEHOUSE"
ENV_FILE = "prod-trial.env"
STATE_DIR = "prod-trial"  # the servers' records and logs, under .platform/


def env_file(loc: Locations) -> Path:
    return loc.home / ".platform" / ENV_FILE


def state_dir(loc: Locations) -> Path:
    return loc.home / ".platform" / STATE_DIR


def aws_environment(aws_endpoint: str) -> dict[str, str]:
    """AWS at moto's server, with its test credentials (moto takes any key)."""
    return {
        "AWS_ENDPOINT_URL": aws_endpoint,
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }


def trial_environment(
    loc: Locations, aws_endpoint: str, snowflake_port: int, oltp_dsn: str, pii_key: str
) -> dict[str, str]:
    """What `PLATFORM_ENV=prod` needs, pointed at the local servers (every name declared in
    variables.py). The stages read the lake on S3 itself (fakesnow_s3.py)."""
    env = {
        "PLATFORM_ENV": "prod",
        "PLATFORM_HOME": str(loc.home),
        "PLATFORM_LAKE_URI": TRIAL_LAKE_URI,
        **aws_environment(aws_endpoint),
        "PLATFORM_OLTP_DSN": oltp_dsn,
        "PLATFORM_PII_HASH_KEY": pii_key,
        "SNOWFLAKE_ACCOUNT": "fakesnow",  # fakesnow takes any account, user and password
        "SNOWFLAKE_USER": "trial",
        "SNOWFLAKE_PASSWORD": "trial",
        "SNOWFLAKE_DATABASE": TRIAL_DATABASE,
        "SNOWFLAKE_WAREHOUSE": "TRIAL",
        "SNOWFLAKE_ROLE": "SYSADMIN",
        "SNOWFLAKE_HOST": "127.0.0.1",
        "SNOWFLAKE_PORT": str(snowflake_port),
        "SNOWFLAKE_PROTOCOL": "http",
        "PLATFORM_WAREHOUSE_EMULATOR": "fakesnow",
        "SNOWFLAKE_ALLOWED_IPS": "127.0.0.1/32",  # the network policy's (rendered only on fakesnow)
        # a local server answers at once: fail a broken load in seconds, not minutes
        "SNOWFLAKE_NETWORK_TIMEOUT_S": "30",
    }
    for name in env:
        declared(name)  # a PlatformError if the declaration lost one
    return env


def new_pii_key() -> str:
    return "trial-" + secrets.token_hex(24)


def write_env_file(path: Path, env: dict[str, str]) -> None:
    lines = [
        "# The `prod` trial's environment (lakehouse prod up); test credentials only.",
        "# Open the UI on it: set -a; . " + str(path) + "; make dev",
    ]
    lines += [f"{k}={shlex.quote(v)}" for k, v in env.items()]
    write_private(path, "\n".join(lines) + "\n")


def read_env_file(path: Path) -> dict[str, str]:
    """The variables of an env file written by `write_env_file` ({} if there is none)."""
    if not path.exists():
        return {}
    env = {}
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        name, sep, quoted = line.partition("=")
        try:
            values = shlex.split(quoted)
        except ValueError as exc:
            raise PlatformError(f"{path}:{n}: {exc}; delete the file to start the trial afresh") from None
        if not sep or len(values) > 1:
            raise PlatformError(f"{path}:{n} is not NAME='value'; delete the file to start the trial afresh")
        env[name.strip()] = values[0] if values else ""
    return env
