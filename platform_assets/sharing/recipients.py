"""Recipients' bearer tokens, from the environment, with optional expiry.

`PLATFORM_SHARING_TOKENS` holds JSON (or `PLATFORM_SHARING_TOKENS_FILE` names a file with it):

    {"acme_retail": {"token": "s3cr3t", "expires": "2027-01-01T00:00:00Z"},
     "globex": ["old-token", {"token": "new-token"}]}

A list allows rotation (old and new valid together). Only SHA-256 digests are kept in memory,
and tokens are compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from platform_assets.errors import PlatformError
from platform_assets.storage.times import parse_utc

TOKENS_ENV = "PLATFORM_SHARING_TOKENS"
TOKENS_FILE_ENV = "PLATFORM_SHARING_TOKENS_FILE"


class AuthError(Exception):
    """The token is missing, unknown or expired (HTTP 401)."""


@dataclass(frozen=True)
class Credential:
    recipient: str
    digest: bytes
    expires_at: datetime | None


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class Recipients:
    def __init__(self, credentials: list[Credential]):
        self.credentials = credentials

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, object]) -> Recipients:
        creds = []
        for recipient, spec in mapping.items():
            for entry in spec if isinstance(spec, list) else [spec]:
                entry = {"token": entry} if isinstance(entry, str) else dict(entry)
                if not entry.get("token"):
                    raise ValueError(f"recipient {recipient}: a token entry has no token")
                expires = entry.get("expires")
                creds.append(
                    Credential(recipient, _digest(entry["token"]), parse_utc(expires) if expires else None)
                )
        return cls(creds)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Recipients:
        env = os.environ if environ is None else environ
        text, source = env.get(TOKENS_ENV), TOKENS_ENV
        if not text and env.get(TOKENS_FILE_ENV):
            source = f"{TOKENS_FILE_ENV} ({env[TOKENS_FILE_ENV]})"
            try:
                text = Path(env[TOKENS_FILE_ENV]).read_text()
            except OSError as exc:
                raise PlatformError(f"{source}: cannot read the file: {exc.strerror}") from None
        try:
            return cls.from_mapping(json.loads(text) if text else {})
        except (ValueError, TypeError, AttributeError) as exc:
            # the message names the variable, never its value: the tokens are secrets
            detail = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
            raise PlatformError(
                f"{source} is not valid recipients JSON "
                f'({{"<recipient>": {{"token": ..., "expires": ...}}}}): '
                f"{detail}"
            ) from None

    def authenticate(self, token: str | None, now: datetime | None = None) -> str:
        """The recipient a token belongs to; AuthError if it is unknown or expired."""
        if not token:
            raise AuthError("a bearer token is required")
        digest = _digest(token)
        match = None
        for cred in self.credentials:  # no early exit: the time does not tell which matched
            if hmac.compare_digest(cred.digest, digest):
                match = cred
        if match is None:
            raise AuthError("the bearer token is not valid")
        if match.expires_at is not None and match.expires_at <= (now or datetime.now(UTC)):
            raise AuthError("the bearer token has expired")
        return match.recipient
