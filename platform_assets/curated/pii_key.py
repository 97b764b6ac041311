"""The secret key of the curated zone's PII hashes (HMAC-SHA256).

Why a key: a plain SHA-256 of an e-mail is reversed by anyone who hashes a list of addresses;
an HMAC cannot be computed without the key. The key comes from `PLATFORM_PII_HASH_KEY` (at
least 32 characters; in `prod` from the secret store: variables.py declares it required). For
a lake in a local folder (the `local` profile), if it is unset, a random key is generated once
and kept in `<PLATFORM_HOME>/.platform/pii_hash_key` (mode 0600, outside version control), and
a warning says where. A lake on S3 is written by many processes and machines that must agree
on the key, so there the variable is required and a key is never generated. (The decision
follows the lake, not the profile's name: zones do not ask which profile they run in.)

The key itself is never logged; `key_id` (an HMAC of a fixed label, 12 hex digits) names it in
logs and in the curated tables' commits, so a refresh can tell that the key was rotated.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

from platform_assets.errors import PlatformError
from platform_assets.lake import Lake
from platform_assets.settings import platform_home

KEY_ENV = "PLATFORM_PII_HASH_KEY"
MIN_KEY_CHARS = 32
log = logging.getLogger(__name__)


def local_key_path(home: Path | None = None) -> Path:
    return (home or platform_home()) / ".platform" / "pii_hash_key"


def key_id(key: bytes) -> str:
    """A short public name of the key: equal keys, equal ids; the id does not reveal the key."""
    return hmac.new(key, b"lakehouse pii key id", hashlib.sha256).hexdigest()[:12]


def _generate_once(path: Path) -> bytes:
    """Create the key file unless it exists (atomically: concurrent processes agree)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32))
    try:
        os.link(tmp, path)  # fails if another process created it first: use theirs
        created = True
    except FileExistsError:
        created = False
    finally:
        tmp.unlink()
    key = path.read_text().strip().encode()
    if created:
        log.warning(
            f"{KEY_ENV} is not set: generated a PII hash key (id {key_id(key)}) in "
            f"{path} for the local profile. Set {KEY_ENV} to use your own; changing "
            f"the key changes every hash (see the README on key rotation)."
        )
    return key


def pii_hash_key(lake: Lake) -> bytes:
    """The key: from the environment, else (a lake in a local folder only) the generated one."""
    text = os.environ.get(KEY_ENV, "").strip()
    if text:
        if len(text) < MIN_KEY_CHARS:
            raise PlatformError(
                f"{KEY_ENV} must be at least {MIN_KEY_CHARS} characters (it has "
                f"{len(text)}); generate one with `openssl rand -hex 32`"
            )
        return text.encode()
    if lake.is_s3:
        raise PlatformError(
            f"{KEY_ENV} is not set; the lake {lake.root} is on S3, so the PII "
            "hash key must come from the secret store (it is never generated "
            "for a shared lake)"
        )
    path = local_key_path()
    if path.is_file():
        return path.read_text().strip().encode()
    return _generate_once(path)
