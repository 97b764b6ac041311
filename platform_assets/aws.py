"""AWS, configured once: every boto3 client and the lake's S3 options come from `AwsResource`.

`AwsResource` is dagster-aws's `ResourceWithBoto3Configuration` (region, endpoint, profile,
optional keys, retries) plus timeouts. From it come the boto3 clients of the metadata store
(DynamoDB, DynamoDB Streams), the catalog (Glue), the event stream (Kinesis), the metrics
(CloudWatch), the provisioning, and the storage options delta-rs and pyarrow use for the lake
(`storage_options()`), so no setting is written twice.

Credentials: keys are optional. Without them every client uses its SDK's default chain
(environment, profile, an ECS task role or EC2 instance profile), as boto3, delta-rs and
pyarrow all do.

Timeouts: every call has a connect timeout, a read timeout and a bounded number of attempts, so
an endpoint that does not answer fails with an error instead of hanging.

Concurrent Delta commits on S3: conditional writes. delta-rs 1.x writes each commit file with
`PutMode::Create` (S3's `If-None-Match: *`, supported by S3 since 2024-08 and by moto), so of
two writers committing the same version one gets "already exists", re-reads the log and
retries. Its DynamoDB locking provider is gone (deltalake 1.6 logs "no longer supports
S3DynamoDBLogStores" and ignores `AWS_S3_LOCKING_PROVIDER=dynamodb`), and with conditional puts
disabled it refuses to write at all rather than risk a lost commit. We still name the mode
(`AWS_CONDITIONAL_PUT=etag`, `CONDITIONAL_PUT` below) so the choice is visible and an
object store without conditional writes fails on the first commit instead of silently.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from dagster_aws.utils import ResourceWithBoto3Configuration
from pydantic import Field

from platform_assets.variables import declared, env, number

# the defaults are the declared variables' (a resource built without the profile gets them too)
CONNECT_TIMEOUT_S = float(declared("PLATFORM_AWS_CONNECT_TIMEOUT_S").default or 0)
READ_TIMEOUT_S = float(declared("PLATFORM_AWS_READ_TIMEOUT_S").default or 0)
MAX_ATTEMPTS = int(declared("PLATFORM_AWS_MAX_ATTEMPTS").default or 0)
# the Delta commit protocol on S3 (see the module's docstring)
CONDITIONAL_PUT = {"AWS_CONDITIONAL_PUT": "etag"}


_SESSION_LOCK = threading.Lock()


@functools.cache
def _session(profile: str | None, region: str | None, key: str | None, secret: str | None, token: str | None):
    """One boto3 session per set of credentials (making one costs ~0.2 s of loading models)."""
    import boto3

    return boto3.session.Session(
        profile_name=profile,
        region_name=region,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
    )


def _seconds(text: str | None, default: float) -> float:
    return float(text.rstrip("s")) if text else default


class AwsResource(ResourceWithBoto3Configuration):
    """Where AWS is and how to reach it; keys optional (the default credential chain).

    The platform's AWS-using resources subclass it rather than nest it: a resource with a
    nested resource can only be initialized as a context manager, and the CLI initializes the
    profile's resources directly (`process_config_and_initialize()`). profile.py gives each the
    same `aws_settings()`.
    """

    max_attempts: int = Field(default=MAX_ATTEMPTS, description="Attempts per call, the first included")
    connect_timeout_s: float = Field(default=CONNECT_TIMEOUT_S, description="Seconds to open a connection")
    read_timeout_s: float = Field(default=READ_TIMEOUT_S, description="Seconds to wait for a response")

    def session(self):
        return _session(
            self.profile_name or None,
            self.region_name or None,
            self.aws_access_key_id or None,
            self.aws_secret_access_key or None,
            self.aws_session_token or None,
        )

    def client(self, service: str) -> Any:
        """A boto3 client with this resource's endpoint, credentials, retries and timeouts."""
        from botocore.config import Config

        config = Config(
            connect_timeout=self.connect_timeout_s,
            read_timeout=self.read_timeout_s,
            retries={"total_max_attempts": self.max_attempts, "mode": "standard"},
        )
        with _SESSION_LOCK:  # a boto3 session is not thread-safe; its clients are
            return self.session().client(
                service,
                endpoint_url=self.endpoint_url or None,
                use_ssl=self.use_ssl,
                verify=self.verify,
                config=config,
            )

    def storage_options(self) -> dict[str, str]:
        """The same settings for delta-rs (object_store) and the lake's pyarrow filesystem."""
        opts = {
            **CONDITIONAL_PUT,
            "connect_timeout": f"{self.connect_timeout_s:g}s",
            "timeout": f"{self.read_timeout_s:g}s",
            "max_retries": str(max(self.max_attempts - 1, 0)),
        }
        if self.region_name:
            opts["AWS_REGION"] = self.region_name
        if self.endpoint_url:
            opts["AWS_ENDPOINT_URL"] = self.endpoint_url
            opts["AWS_ALLOW_HTTP"] = str(self.endpoint_url.startswith("http://")).lower()
        if self.profile_name:
            opts["AWS_PROFILE"] = self.profile_name
        if self.verify is False:
            opts["AWS_ALLOW_INVALID_CERTIFICATES"] = "true"
        for key, value in (
            ("AWS_ACCESS_KEY_ID", self.aws_access_key_id),
            ("AWS_SECRET_ACCESS_KEY", self.aws_secret_access_key),
            ("AWS_SESSION_TOKEN", self.aws_session_token),
        ):
            if value:
                opts[key] = value
        return opts

    @classmethod
    def from_storage_options(cls, opts: dict[str, str]) -> AwsResource:
        """The resource back from a lake's storage options (for code that holds only a Lake)."""
        return cls(
            region_name=opts.get("AWS_REGION"),
            endpoint_url=opts.get("AWS_ENDPOINT_URL"),
            profile_name=opts.get("AWS_PROFILE"),
            verify=opts.get("AWS_ALLOW_INVALID_CERTIFICATES") != "true",
            aws_access_key_id=opts.get("AWS_ACCESS_KEY_ID"),
            aws_secret_access_key=opts.get("AWS_SECRET_ACCESS_KEY"),
            aws_session_token=opts.get("AWS_SESSION_TOKEN"),
            connect_timeout_s=_seconds(opts.get("connect_timeout"), CONNECT_TIMEOUT_S),
            read_timeout_s=_seconds(opts.get("timeout"), READ_TIMEOUT_S),
            max_attempts=int(opts.get("max_retries", MAX_ATTEMPTS - 1)) + 1,
        )


def aws_settings() -> dict:
    """The profile's AWS settings from the declared variables (platform_assets/variables.py),
    as keyword arguments of `AwsResource` and of every resource built on it.

    Strings are `EnvVar`s when set (resolved when a run starts, or by
    `process_config_and_initialize()` outside one); unset keys stay None (the default chain).
    """
    return {
        "region_name": env("AWS_REGION"),
        "endpoint_url": env("AWS_ENDPOINT_URL"),
        "profile_name": env("AWS_PROFILE"),
        "aws_access_key_id": env("AWS_ACCESS_KEY_ID"),
        "aws_secret_access_key": env("AWS_SECRET_ACCESS_KEY"),
        "aws_session_token": env("AWS_SESSION_TOKEN"),
        "connect_timeout_s": number("PLATFORM_AWS_CONNECT_TIMEOUT_S"),
        "read_timeout_s": number("PLATFORM_AWS_READ_TIMEOUT_S"),
        "max_attempts": int(number("PLATFORM_AWS_MAX_ATTEMPTS")),
    }
