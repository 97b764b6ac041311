"""Short-lived URLs for the data files of a query: the protocol hands files out by URL.

Local lake: the server signs `/files/<path>?exp=&sig=` with an HMAC of path and expiry
(secret from `PLATFORM_SHARING_SECRET`, or random per process) and serves the file itself.
S3 lake: presigned GET URLs from S3, so recipients download straight from the bucket.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from pathlib import PurePosixPath

from platform_assets.lake import Lake

SECRET_ENV = "PLATFORM_SHARING_SECRET"  # noqa: S105 -- the variable's name, not a secret


class LocalUrlSigner:
    def __init__(self, lake: Lake, secret: bytes | None = None):
        self.lake = lake
        env = os.environ.get(SECRET_ENV)
        self.secret = secret or (env.encode() if env else secrets.token_bytes(32))

    def _sig(self, rel: str, exp: int) -> str:
        return hmac.new(self.secret, f"{rel}\n{exp}".encode(), hashlib.sha256).hexdigest()

    def url(self, base_url: str, rel: str, ttl: int) -> tuple[str, int]:
        """A URL for a file (path relative to the lake root) and its expiry (epoch seconds)."""
        exp = int(time.time()) + ttl
        token = base64.urlsafe_b64encode(rel.encode()).decode().rstrip("=")
        return f"{base_url}/files/{token}?exp={exp}&sig={self._sig(rel, exp)}", exp

    def resolve(self, token: str, exp: int, sig: str) -> str | None:
        """The local path a signed URL grants, or None if forged, altered or expired."""
        try:
            rel = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        except (ValueError, UnicodeDecodeError):
            return None
        if not hmac.compare_digest(self._sig(rel, exp), sig) or exp < time.time():
            return None
        if ".." in PurePosixPath(rel).parts or rel.startswith("/"):
            return None
        return self.lake.uri(rel)


class S3UrlSigner:
    def __init__(self, lake: Lake):
        self.lake = lake
        self.s3 = lake.s3_client()  # the lake's AWS settings: credentials, timeouts, retries

    def url(self, base_url: str, rel: str, ttl: int) -> tuple[str, int]:
        bucket, _, key = self.lake.fs_path(self.lake.uri(rel)).partition("/")
        url = self.s3.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=ttl
        )
        return url, int(time.time()) + ttl


def signer_for(lake: Lake, secret: bytes | None = None) -> LocalUrlSigner | S3UrlSigner:
    return S3UrlSigner(lake) if lake.is_s3 else LocalUrlSigner(lake, secret)
