"""Who may open which dashboard: users, their credentials and their audiences (groups).

Users come from `PLATFORM_DASHBOARD_USERS` (JSON) or the file `PLATFORM_DASHBOARD_USERS_FILE`
names (default `<home>/.platform/dashboard_users.json`, which `make demo` creates):

    {"fiona": {"password": "...", "groups": ["finance"]},
     "growth-bot": {"token": "...", "groups": ["growth"]}}

A user signs in with HTTP basic auth (name and password) or a bearer token. Groups are the
registry's audiences (QuickSight's groups in `prod`); a group no dashboard names is an error, so
a typo cannot silently lock someone out. Only SHA-256 digests of the secrets are kept, compared
in constant time; no secret is ever logged or shown.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from platform_assets.dashboards.registry import AUDIENCES, Dashboard
from platform_assets.errors import PlatformError

USERS_ENV = "PLATFORM_DASHBOARD_USERS"
USERS_FILE_ENV = "PLATFORM_DASHBOARD_USERS_FILE"
USERS_FILE_NAME = "dashboard_users.json"


class AuthError(Exception):
    """No credentials, or wrong ones (HTTP 401)."""


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


@dataclass(frozen=True)
class User:
    name: str
    groups: frozenset[str]
    password_digest: bytes | None = None
    token_digest: bytes | None = None

    def may_open(self, dashboard: Dashboard) -> bool:
        return bool(self.groups & set(dashboard.audiences))


class Users:
    def __init__(self, users: list[User]):
        self.users = {u.name: u for u in users}

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, object], source: str = "the users") -> Users:
        users = []
        for name, spec in mapping.items():
            if not isinstance(spec, Mapping):
                raise PlatformError(
                    f"{source}: user {name!r} must be an object with groups and a password or token"
                )
            groups = spec.get("groups") or []
            unknown = sorted(set(groups) - set(AUDIENCES))
            if not groups or unknown:
                problem = f"unknown groups {', '.join(unknown)}" if unknown else "no groups"
                raise PlatformError(
                    f"{source}: user {name!r} has {problem}; the groups are {', '.join(AUDIENCES)}"
                )
            password, token = spec.get("password"), spec.get("token")
            if not password and not token:
                raise PlatformError(f"{source}: user {name!r} has neither a password nor a token")
            users.append(
                User(
                    name,
                    frozenset(groups),
                    _digest(password) if password else None,
                    _digest(token) if token else None,
                )
            )
        return cls(users)

    def authenticate(self, authorization: str | None) -> User:
        """The user an `Authorization` header names, or AuthError."""
        if not authorization:
            raise AuthError("credentials required")
        scheme, _, credentials = authorization.partition(" ")
        scheme = scheme.lower()
        if scheme == "bearer":
            digest = _digest(credentials.strip())
            found = None
            for u in self.users.values():  # every user compared: no early exit to time
                if u.token_digest and hmac.compare_digest(u.token_digest, digest):
                    found = u
            if found:
                return found
        elif scheme == "basic":
            try:
                name, _, password = base64.b64decode(credentials.strip()).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                raise AuthError("malformed basic credentials") from None
            user = self.users.get(name)
            expected = (
                user.password_digest if user and user.password_digest else _digest(secrets.token_hex(16))
            )
            if hmac.compare_digest(expected, _digest(password)) and user:
                return user
        raise AuthError("unknown user or wrong credentials")


def default_users_file(home: Path) -> Path:
    return home / ".platform" / USERS_FILE_NAME


def load_users(home: Path) -> Users:
    """Users from PLATFORM_DASHBOARD_USERS, else the users file; an error if there are none."""
    from platform_assets.variables import value

    text, source = value(USERS_ENV), USERS_ENV
    if not text:
        path = Path(value(USERS_FILE_ENV) or default_users_file(home))
        if not path.is_file():
            raise PlatformError(
                f"no dashboard users: set {USERS_ENV} or write {path} (JSON: "
                '{"name": {"password": "...", "groups": ["finance"]}}); `make demo` writes one'
            )
        text, source = path.read_text(), str(path)
    try:
        mapping = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlatformError(f"{source} is not valid JSON: {exc.msg} at line {exc.lineno}") from None
    users = Users.from_mapping(mapping, source)
    if not users.users:
        raise PlatformError(f"{source} declares no user")
    return users


def write_demo_users(path: Path) -> bool:
    """A users file for the demo, unless one exists: one user per audience (named after it)
    and `analyst` in every audience, each with a random password; mode 0600. True if written."""
    if path.exists():
        return False
    users = {g: {"password": secrets.token_urlsafe(12), "groups": [g]} for g in AUDIENCES}
    users["analyst"] = {"password": secrets.token_urlsafe(12), "groups": list(AUDIENCES)}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(users, f, indent=2)
    return True
