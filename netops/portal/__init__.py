"""Captive portal and operator console for the city's free Wi-Fi (the simulated gateway in
front of it is :mod:`netops.lab.gateway`).

Layers, each importing only the ones above it in this list:

- :mod:`netops.portal.i18n`, :mod:`netops.portal.chap`, :mod:`netops.portal.gateway`,
  :mod:`netops.portal.security`, :mod:`netops.portal.allowance`,
  :mod:`netops.portal.console_sessions`: pure (no I/O).
- :mod:`netops.portal.branding`: reads ``radius/branding/<city>/``.
- :mod:`netops.portal.login`: the portal's own check of a login, against the store.
- :mod:`netops.portal.state`: settings and the shared :class:`~netops.portal.state.Portal`.
- :mod:`netops.portal.pages`: what every server-rendered page shares (language, CSRF cookie).
- :mod:`netops.portal.signin`, :mod:`netops.portal.citizen`: the citizens' pages and routes;
  :mod:`netops.portal.admin`: the console and the operators' API.
- :mod:`netops.portal.app`: builds the ASGI app (FastAPI) from the routers, adds the headers.
- :mod:`netops.portal.service`: runs it under uvicorn (``netops portal serve``).
"""
