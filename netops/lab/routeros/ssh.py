"""The lab RouterOS's SSH console: enough of it for text backups and a look at identity.

Answers ``/export`` (with ``terse``, ``show-sensitive``), ``/system identity print``,
``/system resource print`` and ``/quit`` at the prompt ``[USER@IDENTITY] > ``, in an
interactive shell or as an exec request (``ssh admin@host /export``). Logins are checked
against the device's ``/user`` list; RouterOS's login options after ``+`` in the user name
(netmiko sends ``admin+ct511w4098h``) are accepted and ignored.
"""

from __future__ import annotations

import logging
import socket
import threading
from pathlib import Path
from typing import Any

import paramiko  # type: ignore[import-untyped]

from netops.lab.routeros.state import DeviceState

log = logging.getLogger(__name__)

BANNER = (
    "\r\n\r\n  MikroTik RouterOS {version} (c) 1999-2024       https://www.mikrotik.com/\r\n"
    "\r\n  netops lab device: a stand-in, not RouterOS.\r\n\r\n"
)


def console_command(state: DeviceState, line: str) -> str | None:
    """The console's answer to one line, or None when the line ends the session."""
    words = line.strip().split()
    if not words:
        return ""
    if words[0] in ("/quit", "quit"):
        return None
    head = " ".join(w.strip("/") for w in words[:3]).replace("/", " ")
    if words[0] in ("/export", "export"):
        flags = set(words[1:])
        unknown = flags - {"terse", "show-sensitive", "hide-sensitive", "verbose"}
        if unknown:
            return f"expected end of command (line 1 column {len(words[0]) + 2})"
        text = state.export(terse="terse" in flags, show_sensitive="show-sensitive" in flags)
        return text.replace("\n", "\r\n")
    if head == "system identity print":
        return f"  name: {state.identity}\r\n"
    if head == "system resource print":
        row = state.run("/system/resource/print").rows[0]
        width = max(len(k) for k in row)
        return "".join(f"{k.rjust(width + 2)}: {v}\r\n" for k, v in row.items())
    return f"bad command name {words[0].strip('/')} (line 1 column 1)\r\n"


class _Server(paramiko.ServerInterface):  # type: ignore[misc]
    """Password checks and per-channel shell/exec requests for one SSH connection."""

    def __init__(self, state: DeviceState) -> None:
        self.state = state
        self.user = ""
        self.requests: dict[int, str | None] = {}
        self._events: dict[int, threading.Event] = {}
        self._lock = threading.Lock()

    def event(self, chanid: int) -> threading.Event:
        with self._lock:
            return self._events.setdefault(chanid, threading.Event())

    def get_allowed_auths(self, username: str) -> str:
        return "password"

    def check_auth_password(self, username: str, password: str) -> int:
        name = username.split("+", 1)[0]
        if self.state.authenticate(name, password):
            self.user = name
            return int(paramiko.AUTH_SUCCESSFUL)
        return int(paramiko.AUTH_FAILED)

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return int(paramiko.OPEN_SUCCEEDED)
        return int(paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED)

    def check_channel_pty_request(self, *args: Any) -> bool:
        return True

    def check_channel_window_change_request(self, *args: Any) -> bool:
        return True

    def check_channel_shell_request(self, channel: Any) -> bool:
        self.requests[channel.get_id()] = None
        self.event(channel.get_id()).set()
        return True

    def check_channel_exec_request(self, channel: Any, command: bytes) -> bool:
        self.requests[channel.get_id()] = command.decode("utf-8", errors="replace")
        self.event(channel.get_id()).set()
        return True


class SshConsole:
    """A threaded paramiko server on ``host:port`` in front of ``state``."""

    def __init__(self, state: DeviceState, host: str, port: int, key_file: Path) -> None:
        self.state = state
        if key_file.exists():
            self.key = paramiko.RSAKey.from_private_key_file(str(key_file))
        else:
            self.key = paramiko.RSAKey.generate(2048)
            self.key.write_private_key_file(str(key_file))
            key_file.chmod(0o600)
        self.sock = socket.create_server((host, port), reuse_port=False)
        self.sock.settimeout(0.5)
        self.port = int(self.sock.getsockname()[1])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="ros-ssh", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn: socket.socket) -> None:
        transport = paramiko.Transport(conn)
        transport.add_server_key(self.key)
        server = _Server(self.state)
        try:
            transport.start_server(server=server)
            while transport.is_active() and not self._stop.is_set():
                channel = transport.accept(0.5)
                if channel is not None:
                    threading.Thread(
                        target=self._channel, args=(server, channel), daemon=True
                    ).start()
        except (paramiko.SSHException, EOFError, OSError) as exc:
            log.info("SSH session ended: %s", exc)
        finally:
            transport.close()

    def _channel(self, server: _Server, channel: Any) -> None:
        try:
            if not server.event(channel.get_id()).wait(10):
                return
            command = server.requests.get(channel.get_id())
            if command is not None:
                answer = console_command(self.state, command)
                channel.sendall((answer or "").encode())
                channel.send_exit_status(0)
            else:
                self._shell(channel, server.user)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            log.info("SSH channel ended: %s", exc)
        finally:
            channel.close()

    def _shell(self, channel: Any, user: str) -> None:
        channel.sendall(BANNER.format(version=self.state.version).encode())
        prompt = f"[{user}@{self.state.identity}] > "
        channel.sendall(prompt.encode())
        buffer = ""
        last_cr = False
        while not self._stop.is_set():
            data = channel.recv(1024)
            if not data:
                return
            for ch in data.decode("utf-8", errors="replace"):
                if ch in "\r\n":
                    if ch == "\n" and not buffer and last_cr:
                        last_cr = False
                        continue
                    last_cr = ch == "\r"
                    channel.sendall(b"\r\n")
                    answer = console_command(self.state, buffer)
                    buffer = ""
                    if answer is None:
                        channel.sendall(b"interrupted\r\n")
                        return
                    channel.sendall(answer.encode())
                    prompt = f"[{user}@{self.state.identity}] > "
                    channel.sendall(prompt.encode())
                elif ch in "\x7f\x08":
                    if buffer:
                        buffer = buffer[:-1]
                        channel.sendall(b"\x08 \x08")
                elif ch == "\x03":
                    buffer = ""
                    channel.sendall(b"\r\n" + prompt.encode())
                elif ch >= " " or ch == "\t":
                    buffer += ch
                    channel.sendall(ch.encode())
