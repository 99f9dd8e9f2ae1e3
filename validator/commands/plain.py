"""What every subcommand shares on the command line: -q/-v, and help without Python types.

typer shows an argument as ``{PATH}...`` in the usage line and ``PATH <list[Path]>`` in the
list; a user reads the metavar alone, as click and gh show it.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Annotated, Any

import typer
from typer.core import TyperArgument, TyperCommand

QUIET = Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines on stderr.")]
VERBOSE = Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging on stderr.")]


class PlainArgument(TyperArgument):
    """An argument shown by its metavar only (``PATH...``): no braces, no Python type."""

    def display_type_rich(self, ctx: Any) -> str | None:  # noqa: ARG002 (typer's signature)
        return None

    def _usage_display_name(self) -> str:
        name = self.metavar or (self.name or "").upper()
        name = name if self.required else f"[{name}]"
        return name + ("..." if self.nargs != 1 else "")

    def _rich_display_name(self) -> str:
        return self.metavar or (self.name or "").upper()


class PlainCommand(TyperCommand):
    """A subcommand whose arguments are :class:`PlainArgument`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if type(param) is TyperArgument:
                # typer builds its own argument objects; only how they are shown changes.
                param.__class__ = PlainArgument


def with_verbosity(command: Callable[..., None]) -> Callable[..., None]:
    """``command`` with the main command's -q/--quiet and -v/--verbose, unless it has its own."""
    signature = inspect.signature(command, eval_str=True)
    own = signature.parameters
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=False, annotation=kind)
        for name, kind in (("quiet", QUIET), ("verbose", VERBOSE))
        if name not in own
    ]

    def run(**given: Any) -> None:
        extra = {p.name: given.pop(p.name) for p in added}
        if given.get("verbose") or extra.get("verbose"):
            logging.getLogger().setLevel(logging.DEBUG)
        elif given.get("quiet") or extra.get("quiet"):
            logging.getLogger().setLevel(logging.ERROR)
        command(**given)

    run.__name__ = command.__name__
    run.__doc__ = command.__doc__
    run.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*own.values(), *added]
    )
    return run
