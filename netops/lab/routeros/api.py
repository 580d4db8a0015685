"""The RouterOS API service: sentences over TCP (8728-style) or TLS (8729-style).

One asyncio task per connection. Before login only ``/login`` and ``/quit`` are answered.
Commands run one after another per connection; ``listen`` (and ``print`` with ``follow``)
keep streaming ``!re`` for changes until ``/cancel``. Every reply to a command that carried
``.tag=`` carries the same tag.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable

from netops.lab.routeros.state import DeviceState, Entry, Trap
from netops.lab.routeros.wire import MAX_WORD, WireError, encode_sentence, read_sentence

log = logging.getLogger(__name__)

_PRELOGIN_MAX_WORDS = 8
_PRELOGIN_MAX_WORD = 4096


class ApiSession:
    """One client connection."""

    def __init__(
        self,
        state: DeviceState,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        on_close: Callable[[ApiSession], None],
    ) -> None:
        self.state = state
        self.reader = reader
        self.writer = writer
        self.user: str | None = None
        self.challenge: bytes | None = None
        self.listens: dict[str, Callable[[str, str, Entry | None], None]] = {}
        self.loop = asyncio.get_running_loop()
        self.created = time.monotonic()
        self._on_close = on_close

    def send(self, reply: str, attrs: dict[str, str] | None = None, tag: str | None = None) -> None:
        words = [reply] + [f"={k}={v}" for k, v in (attrs or {}).items()]
        if tag is not None:
            words.append(f".tag={tag}")
        if not self.writer.is_closing():
            self.writer.write(encode_sentence(words))

    def trap(self, exc: Trap, tag: str | None) -> None:
        attrs = {}
        if exc.category is not None:
            attrs["category"] = str(exc.category)
        attrs["message"] = exc.message
        self.send("!trap", attrs, tag)
        self.send("!done", None, tag)

    async def serve(self) -> None:
        try:
            while True:
                try:
                    limit = _PRELOGIN_MAX_WORD if self.user is None else MAX_WORD
                    sentence = await read_sentence(self.reader, limit)
                except (WireError, UnicodeDecodeError) as exc:
                    self.writer.write(encode_sentence(["!fatal", f"protocol error: {exc}"]))
                    break
                if sentence is None:
                    break
                if self.user is None and len(sentence) > _PRELOGIN_MAX_WORDS:
                    self.writer.write(encode_sentence(["!fatal", "not logged in"]))
                    break
                if not self.handle(sentence):
                    break
                await self.writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            pass
        finally:
            self.close()

    def close(self) -> None:
        for listener in self.listens.values():
            if listener in self.state.listeners:
                self.state.listeners.remove(listener)
        self.listens.clear()
        if not self.writer.is_closing():
            self.writer.close()
        self._on_close(self)

    def handle(self, sentence: list[str]) -> bool:
        """Answer one sentence; False when the connection should close."""
        command, rest = sentence[0], sentence[1:]
        args: dict[str, str] = {}
        query: list[str] = []
        tag: str | None = None
        for word in rest:
            if word.startswith("="):
                key, _, value = word[1:].partition("=")
                args[key] = value
            elif word.startswith("?"):
                query.append(word[1:])
            elif word.startswith(".tag="):
                tag = word[5:]
            elif word.startswith("."):
                key, _, value = word.partition("=")
                args[key] = value
        if command == "/quit":
            self.writer.write(encode_sentence(["!fatal", "session terminated on request"]))
            return False
        if command == "/login":
            self.login(args, tag)
            return True
        if self.user is None:
            self.trap(Trap("not logged in"), tag)
            return True
        if command == "/cancel":
            self.cancel(args.get("tag"), tag)
            return True
        try:
            words = [w for w in command.split("/") if w]
            if (words and words[-1] == "listen") or (
                words and words[-1] == "print" and ("follow" in args or "follow-only" in args)
            ):
                self.listen(command, args, query, tag)
                return True
            result = self.state.run(command, args, query, user=self.user)
        except Trap as exc:
            self.trap(exc, tag)
            return True
        except Exception:  # a defect in the lab device: say so, keep the session
            log.exception("lab RouterOS failed on %s", command)
            self.trap(Trap("failure: internal error in the lab device", 4), tag)
            return True
        for row in result.rows:
            self.send("!re", row, tag)
        self.send("!done", {"ret": result.ret} if result.ret is not None else None, tag)
        return True

    def login(self, args: dict[str, str], tag: str | None) -> None:
        name = args.get("name")
        if name is None and "password" not in args and "response" not in args:
            self.challenge = secrets.token_bytes(16)
            self.send("!done", {"ret": self.challenge.hex()}, tag)
            return
        ok = False
        if name is not None and "password" in args:
            ok = self.state.authenticate(name, args["password"])
        elif name is not None and "response" in args and self.challenge is not None:
            ok = self.state.authenticate_challenge(name, self.challenge, args["response"])
        self.challenge = None
        if not ok:
            log.info("API login refused")
            self.trap(Trap("invalid user name or password (6)"), tag)
            return
        self.user = name
        self.send("!done", None, tag)

    def listen(self, command: str, args: dict[str, str], query: list[str], tag: str | None) -> None:
        words = [w for w in command.split("/") if w]
        path_cmd = "/" + "/".join([*words[:-1], "print"])
        follow_only = "follow-only" in args
        args.pop("follow", None)
        args.pop("follow-only", None)
        if tag is None:
            raise Trap("listen needs a .tag to be cancelled by")
        spec, _ = self.state.resolve(path_cmd)
        if words[-1] == "print" and not follow_only:
            for row in self.state.run(path_cmd, dict(args), query, user=self.user or "").rows:
                self.send("!re", row, tag)
        wanted_tag = tag

        def on_change(path: str, item_id: str, entry: Entry | None) -> None:
            if path != spec.path:
                return
            if entry is None:
                row = {".id": item_id, ".dead": "true"}
            else:
                row = {k: v for k, v in entry.items() if k not in spec.write_only}
            self.loop.call_soon_threadsafe(self.send, "!re", row, wanted_tag)

        self.listens[tag] = on_change
        self.state.listeners.append(on_change)

    def cancel(self, target: str | None, tag: str | None) -> None:
        targets = [target] if target is not None else list(self.listens)
        for item in targets:
            listener = self.listens.pop(item, None)
            if listener is None:
                continue
            if listener in self.state.listeners:
                self.state.listeners.remove(listener)
            self.send("!trap", {"category": "2", "message": "interrupted"}, item)
            self.send("!done", None, item)
        self.send("!done", None, tag)
