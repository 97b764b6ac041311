"""Bad command-line input is one clear line on stderr, never a traceback.

Argument errors (a malformed date, a negative rate or limit, a bad version, a missing or
unknown flag) are caught while parsing: the CLI prints the usage line and
`lakehouse ...: error: argument --flag: ...` and exits 2. Problems found while running (a
column the table does not have) are a PlatformError: the CLI prints `error: ...` and exits 1.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from dms_files import product_row, write_dms

from platform_assets.cli import main
from platform_assets.cli.values import (
    InvalidValue,
    iso_date,
    non_negative_int,
    positive_float,
    probability,
    version_or_time,
)
from platform_assets.contracts import contract
from platform_assets.processed.apply import apply_pending


def run(argv: list[str], capsys) -> tuple[int, str]:
    """main() in process: (exit code, stderr)."""
    try:
        code = main(argv)
    except SystemExit as exc:  # main returns its code; an exit would be a bug, but say which
        code = f"SystemExit({exc.code})"
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


@pytest.mark.parametrize(
    "argv, flag, says",
    [
        (["events", "ingest", "--from", "notadate"], "--from", "not a date"),
        (["events", "ingest", "--from", "2026-03-01", "--to", "2026-02-30"], "--to", "not a date"),
        (["events", "produce", "--rate", "-1", "--duration", "5"], "--rate", "greater than 0"),
        (["events", "produce", "--rate", "nan", "--duration", "5"], "--rate", "greater than 0"),
        (["events", "produce", "--rate", "1", "--duration", "0"], "--duration", "greater than 0"),
        (
            ["events", "produce", "--rate", "1", "--duration", "5", "--duplicate-rate", "1.5"],
            "--duplicate-rate",
            "between 0 and 1",
        ),
        (
            ["events", "produce", "--rate", "1", "--duration", "5", "--start", "yesterday"],
            "--start",
            "not an ISO-8601 time",
        ),
        (["events", "consume", "--batch-size", "0"], "--batch-size", "at least 1"),
        (
            ["table", "restore", "processed.orders", "--to", "-1", "--reason", "x", "--yes"],
            "--to",
            "not a version number",
        ),
        (["table", "show", "processed.orders", "--as-of", "soon"], "--as-of", "not a version"),
        (["table", "history", "processed.orders", "--limit", "-3"], "--limit", "at least 1"),
        (["table", "show", "processed.orders", "--limit", "-1"], "--limit", "at least 0"),
        (["table", "show", "processed.orders", "--columns", "a,,b"], "--columns", "empty"),
        (["table", "show", "nowhere.orders"], "table", "not a Delta table"),
        (["oltp", "seed", "--orders", "-5"], "--orders", "at least 1"),
        (["oltp", "simulate", "--rate", "0"], "--rate", "greater than 0"),
        (["cdc", "capture", "--interval", "-2"], "--interval", "greater than 0"),
        (["sharing", "serve", "--port", "70000"], "--port", "between 1 and 65535"),
        (["demo", "--orders", "0"], "--orders", "at least 1"),
        (["events", "produce", "--duration", "5"], "--rate", "is required"),
        (["table", "show"], "table", "is required"),
        (["table", "restore", "processed.orders", "--to", "1", "--yes"], "--reason", "is required"),
        (["events", "ingest", "--rebuild"], "--rebuild", "needs --from"),
        (["events", "ingest", "--to", "2026-03-01"], "--to", "needs --from"),
        (
            ["events", "produce", "--rate", "1", "--duration", "5", "--ids", "csv"],
            "--ids",
            "'csv' is not one of",
        ),
        (["table", "reapply", "processed.nope", "--reason", "x"], "table", "no table contract"),
    ],
)
def test_bad_arguments_name_the_flag_and_exit_2(argv, flag, says, capsys):
    code, err = run(argv, capsys)
    assert code == 2
    assert f"error: argument {flag}: " in err and says in err
    assert err.strip().splitlines()[-1].startswith("lakehouse ")


def test_to_before_from_is_refused(capsys):
    code, err = run(["events", "ingest", "--from", "2026-03-02", "--to", "2026-03-01"], capsys)
    assert code == 2 and "--to 2026-03-01 is before --from 2026-03-02" in err


@pytest.mark.parametrize(
    "argv, says",
    [
        (["table", "show", "processed.orders", "--bogus"], "No such option '--bogus'"),
        (["tables"], "No such command 'tables'"),
        (["oltp", "start", "--orders", "5"], "No such option '--orders'"),
    ],
)
def test_unknown_commands_and_flags_are_one_error_line_and_exit_2(argv, says, capsys):
    code, err = run(argv, capsys)
    assert code == 2
    last = err.strip().splitlines()[-1]
    assert last.startswith("lakehouse") and ": error: " in last and says in last


def test_a_group_without_its_command_shows_its_help_and_exits_2(capsys):
    code, err = run(["table"], capsys)
    assert code == 2 and "history" in err and "restore" in err


def test_an_unknown_column_is_one_line_naming_the_table_and_its_columns(platform_home, capsys):
    from platform_assets.lake import Lake

    lake = Lake(str(platform_home / ".lake"))
    write_dms(lake, "products", "LOAD00000001", [product_row(i) for i in range(1, 40)])
    apply_pending(lake, contract("products"))
    code, err = run(["table", "show", "processed.products", "--columns", "product_id,nope"], capsys)
    assert code == 1
    assert err.startswith("error: processed.products has no column 'nope'")
    assert "product_id, sku" in err and err.count("\n") == 1
    assert run(
        ["table", "show", "processed.products", "--columns", "product_id", "--limit", "0"], capsys
    ) == (0, "")


def test_the_cli_process_prints_no_traceback(tmp_path):
    env = {"PLATFORM_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    for argv in (
        ["events", "ingest", "--from", "notadate"],
        ["events", "produce", "--rate", "-1", "--duration", "1"],
    ):
        out = subprocess.run(
            [sys.executable, "-m", "platform_assets.cli", *argv], env=env, capture_output=True, text=True
        )
        assert out.returncode == 2, out.stderr
        assert "Traceback" not in out.stderr and "error: argument" in out.stderr


def test_validators_are_plain_functions_for_any_cli_framework():
    from datetime import date

    from platform_assets.cli.events import ingest

    assert iso_date("2026-03-01") == date(2026, 3, 1)
    assert non_negative_int("0") == 0 and positive_float("0.5") == 0.5
    assert probability("0") == 0.0 and version_or_time("3") == 3
    for fn, bad in (
        (iso_date, "2026-13-01"),
        (non_negative_int, "-1"),
        (positive_float, "inf"),
        (probability, "-0.1"),
        (version_or_time, "-1"),
        (non_negative_int, "1.5"),
    ):
        with pytest.raises(InvalidValue):
            fn(bad)
    assert ingest.make_context("ingest", ["--from", "2026-03-01"]).params["date_from"] == date(2026, 3, 1)
