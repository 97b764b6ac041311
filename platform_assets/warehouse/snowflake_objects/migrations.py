"""The migrations in `migrations/`, rendered for one account into statements.

A file is `V<nnn>__<what>.sql` (versioned: applied once, in version order; its text may never
change after it was applied) or `R<nnn>__<what>.sql` (repeatable: applied after every versioned
one, in number order, again whenever its rendered text changes; every statement in it is
idempotent). Templates are Jinja, rendered with the `Account` (`a`) and the names of
account.py; statements end with `;` at the end of a line.

A first line `-- fakesnow: render-only (why)` marks a migration fakesnow cannot run (it has no
roles, warehouses, integrations, masking or network policies). Against fakesnow
(PLATFORM_WAREHOUSE_EMULATOR=fakesnow) its statements are rendered, counted and recorded but
not executed; on Snowflake every statement runs.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import jinja2

from platform_assets.errors import PlatformError
from platform_assets.warehouse.load_sql import SnowflakeDialect, SnowflakeStages
from platform_assets.warehouse.snowflake_objects import account as names
from platform_assets.warehouse.snowflake_objects.account import Account

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_NAME = re.compile(r"^(?P<kind>[VR])(?P<number>\d{3})__(?P<what>[a-z0-9_]+)\.sql$")
RENDER_ONLY = "-- fakesnow: render-only"
_END_OF_STATEMENT = re.compile(r";[ \t]*$", re.MULTILINE)


@dataclass(frozen=True)
class Migration:
    script: str  # the file's name, e.g. V001__database_and_history.sql
    kind: str  # "versioned" or "repeatable"
    number: int
    statements: tuple[str, ...]
    render_only_on_fakesnow: bool

    @property
    def checksum(self) -> str:
        """Of the rendered statements: a changed setting, name or contract changes it."""
        return hashlib.sha256("\n;\n".join(self.statements).encode()).hexdigest()[:16]

    @property
    def repeatable(self) -> bool:
        return self.kind == "repeatable"


def _statements(text: str) -> tuple[str, ...]:
    """The statements of a rendered file: comment lines dropped, split at `;` ending a line."""
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    parts = (re.sub(r"\n\s*\n", "\n", p).strip() for p in _END_OF_STATEMENT.split(body))
    return tuple(p for p in parts if p)


def migration_files() -> list[Path]:
    """Every migration file, in apply order (versioned by version, then repeatable); a file
    with another name in the folder is an error naming it, not something left out."""
    files = sorted(MIGRATIONS_DIR.glob("*.sql"))
    strays = [f.name for f in MIGRATIONS_DIR.iterdir() if f.is_file() and not _NAME.match(f.name)]
    if strays:
        raise PlatformError(
            f"{MIGRATIONS_DIR}: {', '.join(sorted(strays))} not named "
            "V<nnn>__<what>.sql or R<nnn>__<what>.sql"
        )
    numbers: dict[tuple[str, str], str] = {}
    for f in files:
        m = _NAME.match(f.name)
        if (key := (m["kind"], m["number"])) in numbers:
            raise PlatformError(
                f"{MIGRATIONS_DIR}: {numbers[key]} and {f.name} share the number {m['number']}"
            )
        numbers[key] = f.name
    return sorted(files, key=lambda f: (f.name[0] == "R", int(_NAME.match(f.name)["number"])))


def _context(a: Account) -> dict:
    # The loader's own DDL for its copies (warehouse/load_sql.py), not a second description.
    # Its per-column `add column if not exists` (how a copy gains a contract's new column) is
    # the loader's at every load; here only the PII columns', which R050 tags.
    pii = tuple(f"alter table {p.relation} add column if not exists {p.column} " for p in a.pii_columns)
    copy_setup = [
        s
        for s in SnowflakeDialect(SnowflakeStages(file_format=None)).setup(list(a.copies))
        if not s.startswith("alter table ") or s.startswith(pii)
    ]
    constants = {k: v for k, v in vars(names).items() if k.isupper() and isinstance(v, str)}
    return {"a": a, "copy_setup": copy_setup, **constants}


def render(a: Account) -> list[Migration]:
    """Every migration rendered for the account, in apply order."""
    env = jinja2.Environment(  # noqa: S701 -- renders Snowflake SQL, not HTML: escaping would corrupt it
        loader=jinja2.FileSystemLoader(MIGRATIONS_DIR),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    context = _context(a)
    out = []
    for path in migration_files():
        m = _NAME.match(path.name)
        try:
            text = env.get_template(path.name).render(context)
        except jinja2.TemplateError as exc:
            raise PlatformError(f"{path}: cannot render: {exc}") from exc
        out.append(
            Migration(
                script=path.name,
                kind="versioned" if m["kind"] == "V" else "repeatable",
                number=int(m["number"]),
                statements=_statements(text),
                render_only_on_fakesnow=path.read_text().startswith(RENDER_ONLY),
            )
        )
    return out
