"""The outcome of one operation on one device (the nornir ``Result`` shape)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Result:
    """What happened on one device.

    ``changed`` says the device's configuration differs (dry run) or was changed (commit);
    ``diff`` is intended vs running as the engineer reads it, secrets redacted; ``error`` is
    one sentence when the operation failed; ``rolled_back`` says a failed change was undone.
    """

    device: str
    operation: str
    changed: bool = False
    diff: str = ""
    error: str | None = None
    rolled_back: bool = False
    elapsed: float = 0.0
    facts: dict[str, str] = field(default_factory=dict)
    running: str | None = field(default=None, repr=False)

    @property
    def failed(self) -> bool:
        return self.error is not None

    @property
    def status(self) -> str:
        """``failed``, ``changed`` or ``unchanged`` (``ok`` for read-only operations)."""
        if self.failed:
            return "failed"
        if self.operation in ("backup", "check") and not self.changed:
            return "ok"
        return "changed" if self.changed else "unchanged"
