"""Keep credentials out of the access log: signed file URLs are valid until they expire.

uvicorn's access log prints each request's path with its query string, which for a file
download carries the signature (`sig=`), and for an S3-style URL `X-Amz-Signature` and friends.
A filter on the `uvicorn.access` logger rewrites those values to `REDACTED` before any handler
sees them; the path and the expiry stay, so a log still shows which file was read and when.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, urlencode

ACCESS_LOGGER = "uvicorn.access"
SECRET_PARAMS = frozenset(
    {"sig", "x-amz-signature", "x-amz-credential", "x-amz-security-token", "token", "access_token"}
)


def redact(path: str) -> str:
    """`path?query` with the values of secret parameters replaced."""
    base, sep, query = path.partition("?")
    if not sep:
        return path
    pairs = [
        (k, "REDACTED" if k.lower() in SECRET_PARAMS else v)
        for k, v in parse_qsl(query, keep_blank_values=True)
    ]
    return f"{base}?{urlencode(pairs, safe='/:')}"


class RedactSecrets(logging.Filter):
    """uvicorn logs `'%s - "%s %s HTTP/%s" %d'` with the path third among the arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact(args[2]), *args[3:])
        return True


def install() -> None:
    """Add the filter to uvicorn's access logger once (uvicorn's dictConfig keeps filters)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, RedactSecrets) for f in logger.filters):
        logger.addFilter(RedactSecrets())
