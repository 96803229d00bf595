"""Validating an AsyncAPI document with the official ``@asyncapi/parser`` (Node.js) in tests.

``tools/asyncapi-validate`` pins the parser (``package.json`` + ``package-lock.json``); on first
use it is installed with ``npm ci`` into ``.tools/asyncapi-node`` (ignored by git) and reused
while the lock file is unchanged. Without node/npm the test is skipped locally but fails in CI
(``CI`` or ``CIMAHI_REQUIRE_POSTGRES`` set), so the check cannot silently disappear there.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import orjson
import pytest

REPO = Path(__file__).resolve().parents[4]
TOOL = REPO / "tools" / "asyncapi-validate"
HOME = REPO / ".tools" / "asyncapi-node"
_FILES = ("package.json", "package-lock.json")


def _require(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        message = f"{program} is needed to validate AsyncAPI documents with @asyncapi/parser"
        if os.environ.get("CI") or os.environ.get("CIMAHI_REQUIRE_POSTGRES"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def _installed() -> bool:
    parser = HOME / "node_modules" / "@asyncapi" / "parser" / "package.json"
    return parser.exists() and all(
        (HOME / name).exists() and (HOME / name).read_bytes() == (TOOL / name).read_bytes()
        for name in _FILES
    )


def parser_home() -> Path:
    """The directory where the pinned parser is installed (installing it once, under a lock)."""
    _require("node")
    npm = _require("npm")
    HOME.mkdir(parents=True, exist_ok=True)
    with (HOME / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel test workers install once
        if not _installed():
            for name in _FILES:
                shutil.copyfile(TOOL / name, HOME / name)
            subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--prefix", str(HOME)],
                check=True,
                capture_output=True,
                timeout=240,
            )
    return HOME


def validate(document: dict[str, Any]) -> tuple[int, str]:
    """Run ``validate.mjs`` on a document: its exit code (0: no error) and its diagnostics."""
    home = parser_home()
    result = subprocess.run(
        [_require("node"), str(TOOL / "validate.mjs"), "-"],
        input=orjson.dumps(document),
        capture_output=True,
        timeout=60,
        env={**os.environ, "ASYNCAPI_PARSER_HOME": str(home)},
        check=False,
    )
    return result.returncode, (result.stdout + result.stderr).decode("utf-8", "replace")
