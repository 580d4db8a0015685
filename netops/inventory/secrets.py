"""Secrets are references (``env:NAME``, ``file:PATH``), resolved in memory at the moment of use.

A :class:`Secret` never shows its value in ``repr``/``str`` or in JSON dumps; only
:meth:`Secret.reveal` returns it. Lab inventories may hold plain values (``is_reference`` is
False); the validator rejects those anywhere else. The loader binds each secret to the
inventory folder (a relative ``file:`` path is read from there, whatever the working
directory) and to where it is written, which an error names.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

from netops.errors import SecretError

PLACEHOLDER_PREFIX = "<secret:"


class Secret:
    """A secret value or reference; the raw text is kept, the value is resolved on demand."""

    __slots__ = ("_base", "_used_by", "raw")

    def __init__(self, raw: str, base: Path | None = None, used_by: str | None = None) -> None:
        self.raw = raw
        self._base = base
        self._used_by = used_by

    @property
    def scheme(self) -> str | None:
        """``env`` or ``file`` for a reference, None for a plain (lab) value."""
        head, sep, _ = self.raw.partition(":")
        return head if sep and head in ("env", "file") else None

    @property
    def is_reference(self) -> bool:
        return self.scheme is not None

    def with_base(self, base: Path) -> Secret:
        """The same secret, with ``file:`` paths relative to ``base`` (the inventory folder)."""
        return Secret(self.raw, base, self._used_by)

    def bound(self, base: Path, used_by: str) -> Secret:
        """The same secret as the inventory holds it: ``file:`` paths relative to ``base``, and
        ``used_by`` (which record and field, which file and line) named when it cannot be read."""
        return Secret(self.raw, base, used_by)

    @property
    def path(self) -> Path | None:
        """Where a ``file:`` secret is read from (``~`` expanded, relative to the inventory
        folder when the secret came from one); None for other secrets."""
        if self.scheme != "file":
            return None
        path = Path(self.raw.split(":", 1)[1]).expanduser()
        if not path.is_absolute() and self._base is not None:
            path = self._base / path
        return path

    def reveal(self) -> str:
        """The secret's value. Raises :class:`SecretError` naming the reference and where it is
        used, never the value."""
        scheme = self.scheme
        if scheme is None:
            return self.raw
        used = f" (used by {self._used_by})" if self._used_by else ""
        if scheme == "env":
            name = self.raw.split(":", 1)[1]
            value = os.environ.get(name)
            if value is None:
                raise SecretError(f"secret {self.raw} is not set in the environment{used}")
            return value
        path = self.path or Path()
        try:
            value = path.read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as exc:
            reason = (
                (exc.strerror or type(exc).__name__)
                if isinstance(exc, OSError)
                else "it is not UTF-8 text"
            )
            raise SecretError(f"secret {self.raw} cannot be read: {path}: {reason}{used}") from None
        if not value:
            raise SecretError(f"secret {self.raw} is empty: {path}{used}")
        return value

    def placeholder(self) -> str:
        """What goes on disk instead of the value: ``<secret:env:NAME>``."""
        return f"{PLACEHOLDER_PREFIX}{self.raw if self.is_reference else 'inline'}>"

    def __repr__(self) -> str:
        return f"Secret({self.raw!r})" if self.is_reference else "Secret('***')"

    __str__ = placeholder

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other.raw == self.raw

    def __hash__(self) -> int:
        return hash(self.raw)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        def coerce(value: Any) -> Secret:
            if isinstance(value, Secret):
                return value
            if isinstance(value, (str, int)) and not isinstance(value, bool):
                return Secret(str(value))
            raise ValueError("a secret must be text: env:NAME, file:PATH (or a value in a lab)")

        return core_schema.no_info_plain_validator_function(
            coerce,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda s: s.raw if s.is_reference else "***"
            ),
        )
