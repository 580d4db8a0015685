"""Captive portal and operator console for the city's free Wi-Fi (the simulated gateway in
front of it is :mod:`netops.lab.gateway`).

Layers, each importing only the ones above it in this list:

- :mod:`netops.portal.i18n`, :mod:`netops.portal.chap`, :mod:`netops.portal.gateway`,
  :mod:`netops.portal.security`, :mod:`netops.portal.allowance`: pure (no I/O).
- :mod:`netops.portal.branding`: reads ``radius/branding/<city>/``.
- :mod:`netops.portal.login`: the portal's own check of a login, against the store.
- :mod:`netops.portal.app` and :mod:`netops.portal.admin`: the ASGI app (FastAPI).
- :mod:`netops.portal.service`: runs it under uvicorn (``netops portal serve``).
"""
