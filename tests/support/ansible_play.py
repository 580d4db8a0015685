"""Ansible's ``community.routeros`` modules against a lab RouterOS device: one playbook run,
each task's result by name."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from tests.paths import REPO

VENV_BIN = REPO / ".venv" / "bin"


def routeros_playbook(
    workdir: Path,
    api: tuple[str, int],
    user: str,
    password: str,
    tasks: list[dict[str, Any]],
    *,
    timeout: float = 240,
) -> dict[str, dict[str, Any]]:
    """``ansible-playbook`` of ``tasks`` against the device's plain API at ``api``
    (host, port), run in ``workdir``; each task's result by its name."""
    host, port = api
    play = [
        {
            "hosts": "localhost",
            "gather_facts": False,
            "module_defaults": {
                "group/community.routeros.api": {
                    "hostname": host,
                    "port": port,
                    "username": user,
                    "password": password,
                    "tls": False,
                }
            },
            "tasks": tasks,
        }
    ]
    workdir.mkdir(parents=True, exist_ok=True)
    book = workdir / "play.yml"
    book.write_text(json.dumps(play))
    env = {
        **os.environ,
        "ANSIBLE_PYTHON_INTERPRETER": str(VENV_BIN / "python"),
        "ANSIBLE_STDOUT_CALLBACK": "json",
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        "ANSIBLE_HOME": str(workdir / "ansible-home"),
        "ANSIBLE_LOCAL_TEMP": str(workdir / "ansible-tmp"),
        "PYTHONWARNINGS": "ignore",
    }
    proc = subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(book)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-3000:]
    out = json.loads(proc.stdout[proc.stdout.index("{") :])
    return {t["task"]["name"]: t["hosts"]["localhost"] for t in out["plays"][0]["tasks"]}
