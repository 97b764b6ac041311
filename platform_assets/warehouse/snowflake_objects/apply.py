"""The plan (which migrations are pending against the history table) and the apply.

History: `<database>.platform_admin.schema_migrations`, one row per application of a script
(kind, checksum of its rendered statements, statements, whether they were executed, by whom,
when). Pending: a versioned script never applied, or a repeatable one whose last checksum
differs. A versioned script applied with another checksum is an error naming the file (its text
must not change once applied: write a new migration), and so is an applied script missing from
the folder. Applying twice therefore changes nothing: the second plan is empty.

Each migration's statements run in order, then its history row is written. Snowflake commits
DDL one statement at a time, so a failure leaves the migration unrecorded with some statements
done; every statement is idempotent (`if not exists`, `or replace`, grants), so the next apply
runs the whole migration again. A failure names the file and the statement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from platform_assets.errors import PlatformError
from platform_assets.storage.sql_text import sql_ident
from platform_assets.warehouse.load_sql import quote
from platform_assets.warehouse.snowflake_objects.account import HISTORY_TABLE
from platform_assets.warehouse.snowflake_objects.migrations import Migration


@dataclass(frozen=True)
class Applied:
    script: str
    kind: str
    checksum: str


@dataclass(frozen=True)
class Step:
    """A pending migration: `new` (never applied) or `changed` (a repeatable to re-apply)."""

    migration: Migration
    reason: str
    execute: bool  # False: rendered only (the emulator cannot run it)

    @property
    def script(self) -> str:
        return self.migration.script


@dataclass(frozen=True)
class Plan:
    database: str
    steps: tuple[Step, ...]
    up_to_date: tuple[str, ...]  # scripts already applied as they are

    def render(self) -> str:
        """The plan as `--dry-run` prints it: every pending statement, in order."""
        lines = [
            f"-- Snowflake migrations for database {self.database}: {len(self.steps)} pending, "
            f"{len(self.up_to_date)} applied and unchanged"
        ]
        for step in self.steps:
            m = step.migration
            note = "" if step.execute else "; rendered only: the emulator cannot run it"
            lines.append(f"\n-- {m.script} ({m.kind}, {step.reason}, {len(m.statements)} statements{note})")
            lines += [f"{s};" for s in m.statements] or ["-- (no statement for these settings)"]
        if self.up_to_date:
            lines.append(f"\n-- applied and unchanged: {', '.join(self.up_to_date)}")
        return "\n".join(lines)


class MigrationError(PlatformError):
    """The history and the migration files disagree, or a statement failed."""


def _missing(exc: Exception) -> bool:
    return "does not exist" in str(exc).lower() or getattr(exc, "errno", None) == 2003


def read_history(cursor, database: str) -> list[Applied]:
    """The history's rows, oldest first; none when the database or the table is not there yet."""
    import snowflake.connector.errors as sf

    try:
        cursor.execute(
            f"select script, kind, checksum from {sql_ident(database, *HISTORY_TABLE.split('.'))} "  # noqa: S608 -- identifiers quoted by sql_ident()
            "order by applied_at, script"
        )
    except sf.ProgrammingError as exc:
        if _missing(exc):
            return []
        raise
    return [Applied(*row) for row in cursor.fetchall()]


def plan(migrations: list[Migration], history: list[Applied], database: str, emulator: str | None) -> Plan:
    latest = {h.script: h for h in history}  # the last application of each script
    files = {m.script for m in migrations}
    if gone := sorted(set(latest) - files):
        raise MigrationError(
            f"{database}.{HISTORY_TABLE} records {', '.join(gone)}, which no longer exist in "
            "the migrations folder; restore them (applied migrations are never deleted)"
        )
    steps, current = [], []
    for m in migrations:
        done = latest.get(m.script)
        if done is None:
            reason = "new"
        elif done.checksum == m.checksum:
            current.append(m.script)
            continue
        elif m.repeatable:
            reason = "changed"
        else:
            raise MigrationError(
                f"{m.script} was applied to {database} with checksum {done.checksum} and now renders "
                f"{m.checksum}: an applied versioned migration must not change (or render "
                "differently: the settings it names changed); put the change in a new migration"
            )
        steps.append(Step(m, reason, execute=not (emulator == "fakesnow" and m.render_only_on_fakesnow)))
    return Plan(database, tuple(steps), tuple(current))


def apply(
    cursor,
    the_plan: Plan,
    applied_by: str,
    progress: Callable[[str], None] = lambda line: None,
) -> list[Step]:
    """Run the plan's steps in order, recording each; the steps applied."""
    import snowflake.connector.errors as sf

    done = []
    for step in the_plan.steps:
        m = step.migration
        if step.execute:
            for statement in m.statements:
                try:
                    cursor.execute(statement)
                except sf.Error as exc:
                    first = statement.splitlines()[0]
                    raise MigrationError(f"{m.script}: Snowflake refused `{first} ...`: {exc}") from exc
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        cursor.execute(
            f"insert into {sql_ident(the_plan.database, *HISTORY_TABLE.split('.'))} "  # noqa: S608 -- quoted by sql_ident()/quote()
            f"values ({quote(m.script)}, {quote(m.kind)}, "
            f"{quote(m.checksum)}, {len(m.statements)}, {'true' if step.execute else 'false'}, "
            f"{quote(applied_by)}, {quote(now)})"
        )
        verb = "executed" if step.execute else "rendered only (the emulator cannot run them)"
        progress(f"{m.script}: {step.reason}, {len(m.statements)} statements {verb}")
        done.append(step)
    return done
