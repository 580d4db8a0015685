"""A simulated citizen's phone: joins the hotspot through the gateway and the portal.

It does what a phone's browser does, over real HTTP: open any page (the gateway redirects
to the portal), tick "I agree" on the portal's free-Wi-Fi form and submit it, follow the
portal's hand-off form back to the gateway (which sends the RADIUS Access-Request and the
Accounting-Start), and land on the portal's status page. Forms are read from the pages the
portal serves, so the portal's real CSRF token and gateway parameters are used.

A phone ``via`` a gateway uses it as its HTTP proxy, as a phone at a real hotspot has every
request intercepted: the gateway then decides what it may reach before login (its walled
garden) and answers the rest with its login page (the pushed ``login.html``), whose form
the phone submits like a browser without JavaScript. A login that fails raises
:class:`LoginError` with the step and the reason the gateway or portal gave.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx

from netops.errors import NetopsError

PHONE_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; netops-lab) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36"
)


class LoginError(NetopsError):
    """A simulated citizen could not get online; says at which step."""


@dataclass
class Form:
    """An HTML form: where it goes and the values a browser would send (no button pressed)."""

    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    checkboxes: dict[str, str] = field(default_factory=dict)
    buttons: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._current: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._current = Form(a.get("action", ""), (a.get("method") or "get").lower())
            self.forms.append(self._current)
            return
        form = self._current
        if form is None or "name" not in a:
            return
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind == "checkbox":
                form.checkboxes[a["name"]] = a.get("value", "on")
            elif kind == "submit":
                form.buttons[a["name"]] = a.get("value", "")
            elif kind not in ("radio", "file", "image", "reset", "button"):
                form.fields[a["name"]] = a.get("value", "")
        elif tag == "button" and a.get("type", "submit").lower() == "submit":
            form.buttons[a["name"]] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def parse_forms(html: str) -> list[Form]:
    """Every form of a page, with its hidden and prefilled values."""
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def free_form(forms: list[Form]) -> Form:
    """The portal's free (click-through) login form: the one with a terms checkbox."""
    for form in forms:
        if form.checkboxes and (
            form.fields.get("method") == "free" or form.buttons.get("method") == "free"
        ):
            return form
    for form in forms:
        if form.checkboxes:
            return form
    raise LoginError("the portal's login page has no free Wi-Fi (terms) form")


@dataclass(frozen=True)
class Joined:
    """A phone that is online: its RADIUS username and where it ended up."""

    username: str
    status_url: str


#: A page a phone opens first through a gateway it uses as its proxy (never leaves the
#: gateway: it answers with its login page, or its stand-in internet, or a simulated page).
FIRST_PAGE = "http://www.lab.netops.test/berita"
STATION_HEADER = "X-Lab-Station"


def _station() -> str:
    raw = bytearray(secrets.token_bytes(6))
    raw[0] = (raw[0] | 0x02) & 0xFE  # locally administered, unicast
    return ":".join(f"{b:02x}" for b in raw)


def gateway_login_form(page: httpx.Response) -> Form | None:
    """The form of a gateway's ``login.html`` (it carries ``link-login-only`` to a portal
    on another host), or None when ``page`` is something else."""
    here = page.url.netloc.decode() if isinstance(page.url.netloc, bytes) else page.url.netloc
    for form in parse_forms(page.text):
        if "link-login-only" not in form.fields:
            continue
        target = urlsplit(urljoin(str(page.url), form.action or str(page.url)))
        if target.netloc and target.netloc != here:
            return form
    return None


class Phone:
    """One simulated phone with its own cookies (so the gateway sees its own MAC).

    ``via``: the gateway's URL, to use it as the phone's HTTP proxy (see module docstring);
    ``verify``: the CA file (or False) for HTTPS pages, as a phone trusts its CAs.
    """

    def __init__(
        self, timeout: float = 15.0, *, via: str | None = None, verify: str | bool = True
    ) -> None:
        headers = {"User-Agent": PHONE_AGENT, "Accept-Language": "id"}
        self.via = via
        self.station = _station()
        transport = None
        if via is not None:
            # Sent to the proxy with every request, CONNECT (HTTPS) included.
            proxy = httpx.Proxy(via, headers={STATION_HEADER: self.station})
            transport = httpx.HTTPTransport(proxy=proxy, verify=verify)
        self.client = httpx.Client(
            follow_redirects=True, timeout=timeout, headers=headers, transport=transport
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Phone:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _send(self, form: Form, base: str, values: dict[str, str]) -> httpx.Response:
        url = urljoin(base, form.action or base)
        if form.method == "post":
            return self.client.post(url, data=values)
        return self.client.get(url, params=values)

    def open(self, url: str) -> httpx.Response:
        """Open ``url`` (through the gateway when the phone uses it as its proxy)."""
        return self.client.get(url)

    def _through_login_page(self, landing: httpx.Response) -> httpx.Response:
        """Submit a gateway's ``login.html`` form to the portal; the portal's page."""
        form = gateway_login_form(landing)
        if form is None:
            return landing
        portal = urljoin(str(landing.url), form.action)
        try:
            page = self._send(form, str(landing.url), form.fields)
        except httpx.ProxyError as exc:
            raise LoginError(
                f"the portal at {portal} is not reachable before login: the gateway would not "
                f"connect to it ({exc}; its walled garden does not open the portal)"
            ) from None
        except httpx.HTTPError as exc:
            raise LoginError(f"the portal at {portal} did not answer ({exc})") from None
        if gateway_login_form(page) is not None:
            raise LoginError(
                f"the portal at {portal} is not reachable before login: the gateway answered "
                "with its login page again (its walled garden does not open the portal)"
            )
        return page

    def join(
        self, gateway_url: str, page: str = "/berita", *, voucher: str | None = None
    ) -> Joined:
        """Open ``page`` through the gateway and log in: with ``voucher`` when given, else
        with the portal's free plan. A phone ``via`` the gateway opens :data:`FIRST_PAGE`."""
        first = FIRST_PAGE if self.via is not None else gateway_url.rstrip("/") + page
        try:
            landing = self.client.get(first)
        except httpx.HTTPError as exc:
            raise LoginError(
                f"the hotspot gateway at {gateway_url} did not answer ({exc})"
            ) from None
        if landing.status_code >= 500:
            raise LoginError(f"the gateway answered {landing.status_code}: {landing.text.strip()}")
        pushed_page = gateway_login_form(landing) is not None
        landing = self._through_login_page(landing)
        if not pushed_page and "/login" not in landing.url.path:
            raise LoginError(f"the gateway did not redirect to the portal (got {landing.url})")
        if voucher is not None:
            form = next(
                (f for f in parse_forms(landing.text) if f.fields.get("method") == "voucher"),
                None,
            )
            if form is None:
                raise LoginError("the portal's login page has no voucher form")
            values = {**form.fields, "code": voucher}
        else:
            form = free_form(parse_forms(landing.text))
            values = {**form.fields, **form.checkboxes}
            values.update({k: v for k, v in form.buttons.items() if k == "method"})
            values.setdefault("method", "free")
        try:
            handed = self._send(form, str(landing.url), values)
        except httpx.HTTPError as exc:
            raise LoginError(f"the portal did not accept the login form ({exc})") from None
        if handed.status_code >= 400:
            raise LoginError(f"the portal refused the login ({handed.status_code})")
        final = handed
        if "/status" not in handed.url.path:
            handoff = next((f for f in parse_forms(handed.text) if "username" in f.fields), None)
            if handoff is None:
                raise LoginError(f"the portal answered without a hand-off form ({handed.url})")
            try:
                final = self._send(handoff, str(handed.url), handoff.fields)
            except httpx.HTTPError as exc:
                raise LoginError(f"the gateway did not take the hand-off ({exc})") from None
            if "/status" not in final.url.path:
                refused = gateway_login_form(final)
                reason = refused.fields.get("error") if refused is not None else None
                if reason:
                    raise LoginError(f"the gateway refused the login: {reason}")
                raise LoginError(
                    f"the gateway refused the login (ended at {final.url.copy_with(query=None)})"
                )
            username = handoff.fields["username"]
        else:
            raise LoginError("the portal skipped the gateway hand-off")
        return Joined(username, str(final.url))

    def leave(self, gateway_url: str) -> None:
        """Log out at the gateway (Accounting-Stop, User-Request)."""
        self.client.get(gateway_url.rstrip("/") + "/logout")
