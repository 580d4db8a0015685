"""A click-through through the real portal and gateway leaves no clear MAC in the store's
file or in the portal's and RADIUS server's logs; the allowance still works for its device."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.support.portal_peers import Stack, hidden_fields, mikrotik_params

PHONE_MAC = "02:5a:00:00:be:01"


def _spellings(mac: str) -> set[str]:
    hexes = mac.replace(":", "")
    pairs = [hexes[i : i + 2] for i in range(0, 12, 2)]
    forms = {":".join(pairs), "-".join(pairs), hexes, ".".join(hexes[i : i + 4] for i in (0, 4, 8))}
    return {f.lower() for f in forms}


def test_clickthrough_through_the_portal_stores_no_clear_mac(stack: Stack) -> None:
    params = mikrotik_params("/c/77", PHONE_MAC.upper(), "10.254.200.77")
    with httpx.Client(base_url=stack.portal_url, follow_redirects=False, timeout=10) as http:
        page = http.get("/login", params=params)
        data = hidden_fields(page.text)
        data.update(params, method="free", accept="yes")
        answer = http.post("/login", data=data)
    assert answer.status_code == 200
    handed = hidden_fields(answer.text)
    username = handed["username"]
    assert username.startswith("ct-") and PHONE_MAC.replace(":", "") not in username
    sub = stack.store.lookup(username)
    assert sub is not None and sub.bound_mac == stack.store.mac_pseudonym(PHONE_MAC)
    path = Path(stack.db.removeprefix("sqlite:///"))
    blobs = {
        "the SQLite file": b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*")),
        "the portal's log": stack.portal.log.read_bytes(),
        "the RADIUS server's log": stack.radius.log.read_bytes(),
    }
    for where, blob in blobs.items():
        text = blob.decode("latin-1").lower()
        leaked = sorted(s for s in _spellings(PHONE_MAC) if s in text)
        assert not leaked, f"{where} holds the phone's MAC: {leaked}"
