"""The command line documents itself and keeps every command it had.

Every command, option and argument has help; every server command takes --host and --port
with today's default ports; every command's --help lists the environment variables it reads,
each declared in platform_assets/variables.py, with meanings and never a secret's value.
"""

from __future__ import annotations

import re

import click
import pytest

from platform_assets.cli import lakehouse, main
from platform_assets.errors import PlatformError
from platform_assets.variables import BY_NAME, VARIABLES

# every command and its parameters (options as typed, arguments by metavar): what argparse
# offered, plus `docs serve`; a command lost or a flag renamed fails here
EXPECTED = {
    "oltp start": set(),
    "oltp stop": set(),
    "oltp seed": {"--orders", "--seed", "--reset"},
    "oltp simulate": {"--transactions", "--rate", "--seed"},
    "cdc capture": {"--continuous", "--interval"},
    "cdc full-load": {"--no-slot"},
    "cdc resync": set(),
    "demo": {"--orders"},
    "leak-scan": {"--log", "--no-source"},
    "table history": {"TABLE", "--limit"},
    "table show": {"TABLE", "--as-of", "--limit", "--columns"},
    "table restore": {"TABLE", "--to", "--reason", "--yes"},
    "table reapply": {"TABLE", "--reason"},
    "quarantine list": {"--table"},
    "quarantine show": {"TABLE", "FILE"},
    "quarantine requeue": {"TABLE", "FILE", "--reason"},
    "sharing serve": {"--host", "--port"},
    "serve model": {"--host", "--port"},
    "docs serve": {"--host", "--port", "--target"},
    "dashboards serve": {"--host", "--port"},
    "dashboards quicksight": set(),
    "events produce": {
        "--rate",
        "--duration",
        "--fast",
        "--start",
        "--ids",
        "--customers",
        "--products",
        "--seed",
        "--duplicate-rate",
        "--malformed-rate",
        "--late-rate",
    },
    "events consume": {"--batch-size", "--idle-exit", "--poll"},
    "events ingest": {"--from", "--to", "--rebuild"},
    "metadata publish": set(),
    "metadata show": {"NAME"},
    "prod up": {"--orders", "--local-servers"},
    "prod down": set(),
    "prod status": set(),
    "snowflake apply": {"--dry-run"},
    "snowflake status": set(),
    "status": {"--no-source", "--slot"},
    "stream": {"--seconds", "--poll", "--submit", "--ui-port"},
}
# a server command is named `serve`; its default port stays what it was
SERVER_PORTS = {"sharing serve": 8090, "docs serve": 8080, "dashboards serve": 8050}


def walk(command: click.Command, path: tuple[str, ...] = ()):
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from walk(sub, (*path, name))


def leaves(root: click.Command) -> dict[str, click.Command]:
    return {" ".join(p): c for p, c in walk(root) if not isinstance(c, click.Group)}


def missing_help(root: click.Command) -> list[str]:
    missing = []
    for path, cmd in walk(root):
        where = " ".join(("lakehouse", *path))
        if not (cmd.help or "").strip():
            missing.append(where)
        missing += [f"{where} {p.name}" for p in cmd.params if not (getattr(p, "help", None) or "").strip()]
    return missing


def parameters(cmd: click.Command) -> set[str]:
    return {p.opts[0] if isinstance(p, click.Option) else p.human_readable_name for p in cmd.params}


def help_text(path: str, capsys) -> str:
    assert main([*path.split(), "--help"]) == 0
    return capsys.readouterr().out


def environment(text: str) -> list[str]:
    """The names in the help's Environment section (a name is the first thing on its line)."""
    section = text.split("\nEnvironment:\n", 1)[1].split("\n\n", 1)[0]
    return [m.group(1) for m in re.finditer(r"^  (\S+)", section, re.MULTILINE)]


def test_every_command_and_flag_argparse_had_is_still_there():
    assert {path: parameters(cmd) for path, cmd in leaves(lakehouse).items()} == EXPECTED


def test_every_command_and_parameter_has_help():
    assert missing_help(lakehouse) == []


def test_the_help_check_finds_a_command_option_and_argument_without_help():
    @click.group(help="documented")
    def root():
        pass

    @root.command()
    @click.option("--bare")
    @click.argument("thing")
    def undocumented(bare, thing):
        pass

    assert missing_help(root) == [
        "lakehouse undocumented",
        "lakehouse undocumented bare",
        "lakehouse undocumented thing",
    ]


def test_every_server_command_takes_host_and_port_with_todays_defaults(monkeypatch):
    monkeypatch.delenv("PLATFORM_DOCS_PORT", raising=False)
    monkeypatch.delenv("PLATFORM_DASHBOARDS_PORT", raising=False)
    servers = {path: cmd for path, cmd in leaves(lakehouse).items() if path.endswith(" serve")}
    assert set(servers) == set(SERVER_PORTS)
    for path, cmd in servers.items():
        params = cmd.make_context(path, []).params
        assert (params["host"], params["port"]) == ("127.0.0.1", SERVER_PORTS[path]), path
        assert cmd.make_context(path, ["--port", "9123", "--host", "0.0.0.0"]).params["port"] == 9123  # noqa: S104 -- only parses the option


def test_the_docs_port_comes_from_platform_docs_port_and_is_checked(monkeypatch, capsys):
    serve = leaves(lakehouse)["docs serve"]
    monkeypatch.setenv("PLATFORM_DOCS_PORT", "9001")
    assert serve.make_context("serve", []).params["port"] == 9001
    monkeypatch.setenv("PLATFORM_DOCS_PORT", "99999")
    assert main(["docs", "serve"]) == 2
    assert "error: argument --port: 99999 must be between 1 and 65535" in capsys.readouterr().err


def test_every_command_and_group_lists_the_declared_variables_it_reads(monkeypatch, capsys):
    secrets = {v.name: f"s3cr3t-{i}" for i, v in enumerate(VARIABLES) if v.secret}
    for name, marker in secrets.items():
        monkeypatch.setenv(name, marker)
    paths = [" ".join(p) for p, _ in walk(lakehouse) if p]
    for path in paths:
        text = help_text(path, capsys)
        names = environment(text)
        assert names, f"lakehouse {path} --help lists no environment variables"
        assert [n for n in names if n not in BY_NAME] == [], path
        for name in names:  # the meaning is the declared one (its first words)
            meaning = BY_NAME[name].meaning.split(";")[0][:20]
            assert " ".join(meaning.split()) in " ".join(text.split()), (path, name)
        assert not [m for m in secrets.values() if m in text], path
    assert {"PLATFORM_LAKE_URI", "AWS_REGION", "DAGSTER_HOME"} <= set(environment(help_text("table", capsys)))
    assert {"PLATFORM_SHARING_TOKENS", "PLATFORM_SHARING_SECRET"} <= set(
        environment(help_text("sharing serve", capsys))
    )
    assert "PLATFORM_OLTP_DSN" in environment(help_text("oltp seed", capsys))


def test_a_command_naming_an_undeclared_variable_is_refused_when_built():
    from platform_assets.cli.commands import Command

    with pytest.raises(PlatformError, match="PLATFORM_NOT_A_THING is not declared"):
        Command("x", environment=("PLATFORM_HOME", "PLATFORM_NOT_A_THING"))


def test_the_top_level_help_lists_every_group(capsys):
    text = help_text("", capsys)
    for group in (
        "oltp",
        "cdc",
        "demo",
        "table",
        "quarantine",
        "sharing",
        "docs",
        "events",
        "metadata",
        "prod",
    ):
        assert re.search(rf"^  {group}\s", text, re.MULTILINE), group
    assert "lakehouse GROUP --help" in text
