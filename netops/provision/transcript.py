"""The session log of a session that talks to its device through an API (napalm, the
RouterOS API): each call netops makes and what came back, masked.

Kept apart from :mod:`netops.provision.sessionlog` so that an API session never imports
netmiko: two threads importing netmiko by different paths at once can see it half
initialised.
"""

from __future__ import annotations

import threading
from pathlib import Path

from netops.provision.render import Redactor


class Transcript:
    """The session log of an API session (napalm, RouterOS): each call netops makes and
    what came back, masked (an API is not a terminal netmiko could record)."""

    _lock = threading.Lock()

    def __init__(self, path: Path, redactor: Redactor) -> None:
        self.path = path
        self.redactor = redactor
        path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, what: str, text: str = "") -> None:
        body = f"### {what}\n"
        if text:
            body += text if text.endswith("\n") else text + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(self.redactor(body))
