"""The supervisor's one-shot commands: chains in order, chains side by side, failures raised."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from cimahi_shared.supervisor import ProcessSpec, Supervisor


def sleeper(name: str, seconds: float, text: str) -> ProcessSpec:
    code = f"import time; time.sleep({seconds}); print({text!r})"
    return ProcessSpec(name, [sys.executable, "-c", code])


def waits_for(name: str, path: Path, text: str) -> ProcessSpec:
    """Prints ``text`` once ``path`` exists; fails after 60 s."""
    code = (
        "import pathlib, sys, time\n"
        f"p = pathlib.Path({str(path)!r})\n"
        "deadline = time.monotonic() + 60\n"
        "while not p.exists():\n"
        "    if time.monotonic() > deadline: sys.exit(9)\n"
        "    time.sleep(0.05)\n"
        f"print({text!r})\n"
    )
    return ProcessSpec(name, [sys.executable, "-c", code])


def creates(name: str, path: Path, text: str) -> ProcessSpec:
    code = f"import pathlib; pathlib.Path({str(path)!r}).touch(); print({text!r})"
    return ProcessSpec(name, [sys.executable, "-c", code])


def test_chains_run_side_by_side_and_each_in_order(tmp_path: Path) -> None:
    out = io.StringIO()
    sup = Supervisor(out=out, colour=False)
    flag = tmp_path / "flag"
    # Chain a can only finish once chain b has run: one after the other, a would wait forever
    # (and fail after 60 s); side by side, both end.
    sup.run_chains(
        [
            [waits_for("a", flag, "a1"), sleeper("a", 0, "a2")],
            [creates("b", flag, "b1"), sleeper("b", 0, "b2")],
        ]
    )
    lines = [line.split()[-1] for line in out.getvalue().splitlines()]
    assert lines.index("a1") < lines.index("a2")
    assert lines.index("b1") < lines.index("b2")
    assert lines.index("b1") < lines.index("a1")


def test_a_failing_command_stops_its_chain_and_is_raised() -> None:
    out = io.StringIO()
    sup = Supervisor(out=out, colour=False)
    fail = ProcessSpec("bad", [sys.executable, "-c", "raise SystemExit(3)"])
    with pytest.raises(RuntimeError, match="bad failed with exit code 3"):
        sup.run_chains([[fail, sleeper("bad", 0, "never")], [sleeper("ok", 0, "fine")]])
    text = out.getvalue()
    assert "never" not in text
    assert "fine" in text
