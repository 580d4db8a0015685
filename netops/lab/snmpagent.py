"""Run snmpsim's command responder.

snmpsim switches to ``--process-user`` before it serves; modules it imports lazily
afterwards must already be loaded when that user cannot read the interpreter's files (a
Python under /root, for instance). This launcher loads them first, then hands over.

    python -m netops.lab.snmpagent --data-dir=DIR --agent-udpv4-endpoint=ADDR:PORT …
"""

from __future__ import annotations

import sys


def main() -> int:
    import dbm
    import dbm.dumb  # noqa: F401
    import encodings.ascii
    import encodings.latin_1
    import encodings.utf_8  # noqa: F401
    import hashlib  # noqa: F401
    import hmac  # noqa: F401
    import importlib.util
    import math  # noqa: F401
    import random  # noqa: F401

    if importlib.util.find_spec("pysmi") is None:
        # snmpsim 1.2 imports pysmi only to print its version, without declaring it as a
        # dependency: stand in for it rather than fail on a fresh install.
        import types

        stand_in = types.ModuleType("pysmi")
        stand_in.__dict__["__version__"] = "(not installed)"
        sys.modules["pysmi"] = stand_in

    from snmpsim.commands.responder import main as responder  # type: ignore[import-untyped]

    sys.argv = ["snmpsim-command-responder", *sys.argv[1:]]
    result = responder()
    return int(result or 0)


if __name__ == "__main__":
    raise SystemExit(main())
