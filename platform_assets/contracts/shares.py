"""Delta Sharing shares: which curated tables go to which recipients, declared beside the contracts.

A share lists tables by contract name; they are always served from the curated zone. Only
contracts marked `shared=True` and without any column classified as personal (not even hashed:
a hash of an e-mail still identifies a person; nor free text, which may hold anything) may be
shared; a declaration that breaks this fails at import,
so it cannot reach a running server. Recipients are names; their bearer tokens come from the
environment (see sharing/recipients.py), never from code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from platform_assets.contracts import CONTRACTS, TableContract


@dataclass(frozen=True)
class Share:
    name: str
    tables: tuple[str, ...]
    recipients: tuple[str, ...]
    schema: str = "shop"  # the protocol's schema level: shares > schemas > tables
    description: str = ""


SHARES: tuple[Share, ...] = (
    Share(
        name="partner_catalog",
        tables=("products",),
        recipients=("acme_retail",),
        description="The product catalogue (prices, categories) for resellers.",
    ),
)


def validate_shares(
    shares: tuple[Share, ...] | list[Share], contracts: Mapping[str, TableContract] = CONTRACTS
) -> None:
    """Raise ValueError unless every shared table is a contract marked shared without any
    column classified as personal (hashed, dropped or free text)."""
    names = [s.name for s in shares]
    if len(names) != len(set(names)):
        raise ValueError(f"share names must be unique: {names}")
    for share in shares:
        for table in share.tables:
            c = contracts.get(table)
            if c is None:
                raise ValueError(f"share {share.name}: no contract named {table!r}")
            if pii := [f"{col.name} ({col.pii})" for col in c.columns if col.pii]:
                raise ValueError(
                    f"share {share.name}: {table} has PII or free-text columns "
                    f"{', '.join(pii)}; such tables are never shared"
                )
            if not c.shared:
                raise ValueError(f"share {share.name}: contract {table} is not marked shared=True")


validate_shares(SHARES)
