"""Summaries of py-spy's collapsed stacks: where a process spends its time."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any


def _frame_name(frame: str) -> str:
    # py-spy raw frames look like "function (path/to/file.py:123)"; group by function and file.
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/src/", "lib/python3.11/"):
        if marker in where:
            where = where.split(marker, 1)[1]
            break
    return f"{name} ({where})" if where else name


def summarize(path: Path, top: int = 25) -> dict[str, Any]:
    """Self and inclusive sample shares by function, from py-spy's collapsed stacks."""
    self_count: dict[str, int] = defaultdict(int)
    incl_count: dict[str, int] = defaultdict(int)
    by_area: dict[str, int] = defaultdict(int)
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_s = line.rpartition(" ")
        if not count_s.isdigit():
            continue
        count = int(count_s)
        frames = [_frame_name(f) for f in stack.split(";") if f]
        if not frames:
            continue
        total += count
        self_count[frames[-1]] += count
        for name in set(frames):
            incl_count[name] += count
        by_area[_area(frames[-1])] += count

    def share(d: dict[str, int]) -> list[dict[str, Any]]:
        ranked = sorted(d.items(), key=lambda kv: -kv[1])[:top]
        return [{"function": k, "share": v / total if total else 0.0} for k, v in ranked]

    return {
        "samples": total,
        "file": path.name,
        "self": share(self_count),
        "inclusive": share(incl_count),
        "self_by_area": share(by_area),
    }


def _area(frame: str) -> str:
    """Which library or layer a leaf frame belongs to (for the 'where does the time go' table)."""
    where = frame.rpartition(" (")[2].rstrip(")")
    if not where:
        return frame
    head = where.split("/", 1)[0]
    if head.endswith(".py"):
        return "stdlib " + head
    if head in ("cimahi_gateway", "cimahi_shared"):
        return "/".join(where.split("/")[:2])
    return head
