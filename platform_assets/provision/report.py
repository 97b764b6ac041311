"""What a provisioning did, per resource, and the error it raises when a call fails."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from platform_assets.errors import PlatformError


class ProvisionError(PlatformError):
    """A call to a service failed; the message names the service and the resource."""


@dataclass
class ProvisionReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)  # found, and a missing setting switched on
    found: list[str] = field(default_factory=list)

    def merge(self, other: ProvisionReport) -> ProvisionReport:
        return ProvisionReport(
            self.created + other.created, self.updated + other.updated, self.found + other.found
        )

    def __str__(self) -> str:
        lines = [
            f"{what}: {name}"
            for what, names in (("created", self.created), ("updated", self.updated), ("found", self.found))
            for name in names
        ]
        return "\n".join(lines) or "nothing to provision"


@contextmanager
def calling(service: str, resource: str) -> Iterator[None]:
    """Turn a failed AWS call (refused, timed out, denied) into one error naming both."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as exc:
        err = exc.response.get("Error", {})
        raise ProvisionError(
            f"{service} {resource}: {err.get('Code', '?')}: {err.get('Message', exc)}"
        ) from exc
    except BotoCoreError as exc:
        raise ProvisionError(f"{service} {resource}: {exc}") from exc
