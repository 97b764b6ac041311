"""The click classes of `lakehouse`: commands whose help ends with the variables they read.

`Group.command(environment=...)` makes a `Command` that lists those variables (from
environment.py) in an "Environment" section of its `--help`; a group's `--help` lists what
all its commands read. `-h` is kept as argparse had it.
"""

from __future__ import annotations

import click

from platform_assets.cli.environment import help_rows, union

CONTEXT = {"help_option_names": ["-h", "--help"], "show_default": True, "max_content_width": 100}


def _format_environment(names: tuple[str, ...], formatter: click.HelpFormatter) -> None:
    if names:
        with formatter.section("Environment"):
            formatter.write_dl(help_rows(names))


class Command(click.Command):
    """A command that names the environment variables it reads (see environment.py)."""

    def __init__(self, *args, environment: tuple[str, ...] = (), **kwargs):
        kwargs.setdefault("context_settings", CONTEXT)
        super().__init__(*args, **kwargs)
        self.environment = union(environment)
        help_rows(self.environment)  # fails now, not at --help, if a name is undeclared

    def format_epilog(self, ctx, formatter):
        _format_environment(self.environment, formatter)
        super().format_epilog(ctx, formatter)


class Group(click.Group):
    """A group of commands; its help lists the variables its commands read."""

    command_class = Command
    group_class = type  # sub-groups are Groups too

    def __init__(self, *args, list_environment: bool = True, **kwargs):
        kwargs.setdefault("context_settings", CONTEXT)
        super().__init__(*args, **kwargs)
        self.list_environment = list_environment

    @property
    def environment(self) -> tuple[str, ...]:
        return union(*(getattr(c, "environment", ()) for c in self.commands.values()))

    def format_epilog(self, ctx, formatter):
        if self.list_environment:
            _format_environment(self.environment, formatter)
        super().format_epilog(ctx, formatter)
