"""A scan of what the platform recorded, for secrets and for personal data.

Scanned: every run the Dagster instance holds (the run's tags and config, and every event:
log messages, materializations and their metadata, check results), the instance's local
compute logs (the run workers' stdout and stderr, when runs were launched), and any text
files given (a demo's console output).

Looked for:
- the value of every variable variables.py declares secret that is set, and the secrets the
  local profile generates (the PII hash key file, the dashboard users' passwords);
- PII values sampled from the source database: every column a contract marks `hash` or `drop`,
  the most recent rows of each table. Free text (`free_text`) is not sampled: a review's words
  may be common words.

A value shorter than `MIN_CHARS` would match by coincidence (a first name inside a word), so it
is not looked for; the report counts those instead of dropping them silently. Findings name
where a value was found and what it was (the variable or the table and column), never the value.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from platform_assets.contracts import CONTRACTS
from platform_assets.variables import VARIABLES

MIN_CHARS = 8
PII_ROWS = 500  # per table: the newest rows, those a run has just moved
SCANNED_PII = ("hash", "drop")


@dataclass(frozen=True)
class Needle:
    what: str  # e.g. "variable PLATFORM_PII_HASH_KEY" or "customers.email"
    value: str
    pii: bool = False  # else a secret


@dataclass
class LeakReport:
    scanned_chars: int = 0
    places: int = 0
    secrets: int = 0
    pii_values: int = 0
    too_short: int = 0
    findings: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.findings

    def summary(self) -> str:
        head = (
            f"scanned {self.places} places ({self.scanned_chars:,} characters) for {self.secrets} "
            f"secrets and {self.pii_values} PII values from Postgres"
        )
        short = (
            f"; {self.too_short} values under {MIN_CHARS} characters not looked for" if self.too_short else ""
        )
        if self.clean:
            return f"secret and PII scan: clean: {head}{short}"
        return f"secret and PII scan: {len(self.findings)} FOUND: {head}{short}\n  " + "\n  ".join(
            self.findings
        )


def configured_secrets(home: Path | None = None) -> list[Needle]:
    """Secret variables that are set, and the local profile's generated secrets under `home`."""
    found = [
        Needle(f"variable {v.name}", os.environ[v.name])
        for v in VARIABLES
        if v.secret and os.environ.get(v.name)
    ]
    if home is not None:
        from platform_assets.curated.pii_key import local_key_path
        from platform_assets.dashboards.access import default_users_file

        key, users = local_key_path(home), default_users_file(home)
        if key.is_file():
            found.append(Needle(f"file {key}", key.read_text().strip()))
        if users.is_file():
            for name, user in json.loads(users.read_text()).items():
                if isinstance(user, dict) and user.get("password"):
                    found.append(Needle(f"dashboard user {name}'s password", str(user["password"])))
    return found


def pii_values(conn, rows: int = PII_ROWS) -> list[Needle]:
    """Values of the contracts' PII columns (`hash`, `drop`) in the newest `rows` rows per table."""
    from psycopg import sql

    found = []
    for contract in CONTRACTS.values():
        columns = [c.name for c in contract.columns if c.pii in SCANNED_PII]
        if not columns:
            continue
        query = sql.SQL("SELECT {cols} FROM {table} ORDER BY {key} DESC LIMIT {n}").format(
            cols=sql.SQL(", ").join(map(sql.Identifier, columns)),
            table=sql.Identifier(contract.schema, contract.name),
            key=sql.SQL(", ").join(map(sql.Identifier, contract.primary_key)),
            n=sql.Literal(rows),
        )
        for record in conn.execute(query).fetchall():
            found += [
                Needle(f"{contract.name}.{c}", str(v), pii=True)
                for c, v in zip(columns, record, strict=True)
                if v
            ]
    return found


def instance_texts(instance) -> Iterable[tuple[str, str]]:
    """(place, text) for every run the instance holds and every event of it, and the run
    workers' compute logs when the instance keeps them in a local folder."""
    from dagster._serdes import serialize_value

    for run in instance.get_runs():
        yield f"run {run.run_id} (tags, config)", serialize_value(run)
        events = "\n".join(serialize_value(e) for e in instance.all_logs(run.run_id))
        yield f"run {run.run_id} event log", events
    base = getattr(instance.compute_log_manager, "_base_dir", None)
    if base and Path(base).is_dir():
        for path in sorted(p for p in Path(base).rglob("*") if p.is_file()):
            yield f"compute log {path}", path.read_text(errors="replace")


def file_texts(paths: Iterable[Path]) -> Iterable[tuple[str, str]]:
    for path in paths:
        yield f"file {path}", Path(path).read_text(errors="replace")


def scan(texts: Iterable[tuple[str, str]], needles: list[Needle]) -> LeakReport:
    """Look for every needle (of at least MIN_CHARS) in every (place, text)."""
    report = LeakReport()
    usable = {n.value: n for n in needles if len(n.value) >= MIN_CHARS}
    report.too_short = len({n.value for n in needles if len(n.value) < MIN_CHARS})
    report.secrets = len({v for v, n in usable.items() if not n.pii})
    report.pii_values = len(usable) - report.secrets
    for place, text in texts:
        report.places += 1
        report.scanned_chars += len(text)
        for value, needle in usable.items():
            if value in text:
                report.findings.append(f"{needle.what} in {place}")
    return report
