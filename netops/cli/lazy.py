"""Command groups imported only when used, so ``netops radius serve`` does not pay for
napalm, scapy and pysnmp, and ``netops --version`` answers at once."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, ClassVar

import typer
from typer.core import TyperGroup


@dataclass(frozen=True)
class LazyCommand:
    """Where a top-level command lives: ``module:attribute`` (a Typer app or a function),
    plus modules to import first that register more commands on it, and its short help."""

    target: str
    help: str
    registrants: tuple[str, ...] = ()

    def load(self, name: str) -> typer.Typer:
        for module in self.registrants:
            importlib.import_module(module)
        module_name, attribute = self.target.split(":")
        obj = getattr(importlib.import_module(module_name), attribute)
        if isinstance(obj, typer.Typer):
            return obj
        single = typer.Typer()
        single.command(name=name)(obj)
        return single


class LazyGroup(TyperGroup):
    """A typer group whose subcommands (``LAZY``) are imported on first use."""

    lazy: ClassVar[dict[str, LazyCommand]] = {}

    def list_commands(self, ctx: typer.Context) -> list[str]:  # type: ignore[override]
        return [*super().list_commands(ctx), *(n for n in self.lazy if n not in self.commands)]

    def get_command(self, ctx: typer.Context, cmd_name: str):  # type: ignore[no-untyped-def,override]
        if cmd_name not in self.commands and cmd_name in self.lazy:
            app = self.lazy[cmd_name].load(cmd_name)
            command = typer.main.get_command(app)
            command.name = cmd_name
            if not command.help and not command.short_help:
                command.short_help = self.lazy[cmd_name].help
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


def resolve(app: typer.Typer, words: list[str]) -> tuple[Any, list[str]]:
    """The click command ``netops words…`` names (loading lazy groups on the way) and the
    words left over once no further subcommand matches."""
    command: Any = typer.main.get_command(app)
    rest = list(words)
    while rest and hasattr(command, "get_command"):
        ctx = command.make_context("netops", [], resilient_parsing=True)
        sub = command.get_command(ctx, rest[0])
        if sub is None:
            break
        command = sub
        rest.pop(0)
    return command, rest
