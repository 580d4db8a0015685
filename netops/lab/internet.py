"""A stand-in "internet" on loopback that answers phones' connectivity probes as the real
servers do.

Each operating system decides whether a network is captive by fetching one plain-HTTP URL
and comparing the answer with what its own server sends (sources in ``docs/portal.md``,
"Phones' captive-portal detection"):

- Android and Chrome: ``/generate_204`` on ``connectivitycheck.gstatic.com`` or
  ``clients3.google.com`` answers ``204 No Content`` with an empty body;
- Apple: ``captive.apple.com/hotspot-detect.html`` and
  ``www.apple.com/library/test/success.html`` answer ``200`` with
  ``<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>``;
- Windows (NCSI): ``www.msftconnecttest.com/connecttest.txt`` answers
  ``Microsoft Connect Test`` and ``www.msftncsi.com/ncsi.txt`` answers ``Microsoft NCSI``
  (both without a newline);
- Firefox: ``detectportal.firefox.com/success.txt`` answers ``success`` and a newline,
  ``canonical.html`` the one-line meta refresh to Mozilla's captive-portal article.

Any other host and path gets a small page naming it, so a browser that logged in sees the
page it asked for. The gateway simulator (:mod:`netops.lab.gateway`) forwards a logged-in
client's requests here with their ``Host`` header: no DNS and no outside host is involved.
"""

from __future__ import annotations

import html
import sys
import threading
import time
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from netops.errors import NetopsError
from netops.listen import bind_socket

APPLE_SUCCESS = "<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>"
FIREFOX_CANONICAL = (
    '<meta http-equiv="refresh" content="0;url=https://support.mozilla.org/kb/captive-portal"/>'
)


@dataclass(frozen=True)
class Probe:
    """One OS's connectivity probe and the answer its real server gives."""

    os: str
    url: str
    status: int
    content_type: str | None
    body: str

    @property
    def host(self) -> str:
        return self.url.split("/")[2]

    @property
    def path(self) -> str:
        return "/" + self.url.split("/", 3)[3]


PROBES: tuple[Probe, ...] = (
    Probe("android", "http://connectivitycheck.gstatic.com/generate_204", 204, None, ""),
    Probe("android", "http://clients3.google.com/generate_204", 204, None, ""),
    Probe("apple", "http://captive.apple.com/hotspot-detect.html", 200, "text/html", APPLE_SUCCESS),
    Probe(
        "apple",
        "http://www.apple.com/library/test/success.html",
        200,
        "text/html",
        APPLE_SUCCESS,
    ),
    Probe(
        "windows",
        "http://www.msftconnecttest.com/connecttest.txt",
        200,
        "text/plain",
        "Microsoft Connect Test",
    ),
    Probe("windows", "http://www.msftncsi.com/ncsi.txt", 200, "text/plain", "Microsoft NCSI"),
    Probe("firefox", "http://detectportal.firefox.com/success.txt", 200, "text/plain", "success\n"),
    Probe(
        "firefox",
        "http://detectportal.firefox.com/canonical.html",
        200,
        "text/html",
        FIREFOX_CANONICAL,
    ),
)

_BY_ADDRESS = {(p.host, p.path): p for p in PROBES}


def probe_for(host: str, path: str) -> Probe | None:
    """The probe at ``host`` (a ``Host`` header, port allowed) and ``path``, if it is one."""
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return _BY_ADDRESS.get((name.lower(), path))


def answer(host: str, path: str) -> Response:
    """What the real internet answers to ``GET http://host/path``."""
    probe = probe_for(host, path)
    if probe is None:
        shown = html.escape(f"{host}{path}")
        return HTMLResponse(
            "<!doctype html><meta charset=utf-8><title>Internet</title>"
            f"<h1>Internet</h1><p>Simulated internet page {shown}.</p>"
        )
    if probe.status == 204:
        return Response(status_code=204, headers={"Content-Length": "0"})
    return Response(probe.body.encode(), probe.status, media_type=probe.content_type)


class InternetSim:
    """The stand-in internet: ``start()`` serves it on loopback, ``stop()`` ends it."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def app(self) -> Starlette:
        def anything(request: Request) -> Response:
            return answer(request.headers.get("host", ""), request.url.path)

        return Starlette(routes=[Route("/{path:path}", anything, methods=["GET", "HEAD"])])

    def start(self) -> None:
        sock = bind_socket(self.host, self.port, what="stand-in internet cannot listen on")
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app(), log_level="warning", access_log=False, lifespan="off")
        server = self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=lambda: server.run(sockets=[sock]), name="internet-sim", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise NetopsError("stand-in internet did not start its web server")
            time.sleep(0.02)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> InternetSim:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    """``python -m netops.lab.internet --listen ADDR:PORT``: serve until SIGTERM."""
    import argparse
    import signal

    parser = argparse.ArgumentParser(prog="netops-lab-internet", description=__doc__)
    parser.add_argument("--listen", default="127.0.0.1:0", help="ADDR:PORT")
    args = parser.parse_args(argv)
    host, _, port = str(args.listen).rpartition(":")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        with InternetSim(host or "127.0.0.1", int(port)) as world:
            print(f"stand-in internet on {world.base_url}", flush=True)
            stop.wait()
    except (NetopsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
