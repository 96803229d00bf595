"""Load generators: wrk with a Lua script (preferred), or a Python asyncio/aiohttp fallback.

Both are closed-loop (each connection sends its next request when the previous answer arrived),
so latencies under saturation include the queue in front of the slowest process; both return
the same summary: requests, rps, p50/p90/p99/p99.9 latency (ms), and error counts.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import aiohttp

WRK_DIR = Path(__file__).resolve().parent / "wrk"


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def load(
    url: str,
    *,
    method: str,
    token: str | None,
    body: bytes | None,
    connections: int,
    duration: float,
    work_dir: Path,
) -> dict[str, Any]:
    """One closed-loop round against ``url``; wrk when installed, else the Python fallback."""
    if have_wrk():
        return run_wrk(
            url,
            method=method,
            token=token,
            body=body,
            connections=connections,
            duration=duration,
            work_dir=work_dir,
        )
    return asyncio.run(
        run_python(
            url,
            method=method,
            token=token,
            body=body,
            connections=connections,
            duration=duration,
        )
    )


def load_paths(
    base_url: str,
    paths: list[str],
    *,
    token: str | None,
    connections: int,
    duration: float,
    work_dir: Path,
) -> dict[str, Any]:
    """A closed-loop round of GETs, each to a random one of ``paths`` under ``base_url``."""
    if have_wrk():
        paths_file = work_dir / "paths.txt"
        paths_file.write_text("\n".join(paths) + "\n")
        return run_wrk(
            base_url,
            method="GET",
            token=token,
            body=None,
            connections=connections,
            duration=duration,
            work_dir=work_dir,
            paths_file=paths_file,
        )
    return asyncio.run(
        run_python(
            base_url,
            method="GET",
            token=token,
            body=None,
            connections=connections,
            duration=duration,
            paths=paths,
        )
    )


def run_wrk(
    url: str,
    *,
    method: str,
    token: str | None,
    body: bytes | None,
    connections: int,
    duration: float,
    work_dir: Path,
    paths_file: Path | None = None,
) -> dict[str, Any]:
    env = {**os.environ, "BENCH_TOKEN": token or "", "BENCH_WRK_DIR": str(WRK_DIR)}
    script = WRK_DIR / ("post.lua" if method == "POST" else "get.lua")
    if paths_file is not None:
        script = WRK_DIR / "paths.lua"
        env["BENCH_PATHS_FILE"] = str(paths_file)
    if method == "POST":
        body_file = work_dir / "body.json"
        body_file.write_bytes(body or b"")
        env["BENCH_BODY_FILE"] = str(body_file)
    threads = max(1, min(2, connections))
    argv = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
    ]
    done = subprocess.run(
        argv, capture_output=True, text=True, env=env, timeout=duration + 60, check=False
    )
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            raw = json.loads(line[len("BENCH_JSON ") :])
            seconds = raw["duration_us"] / 1e6
            return {
                "tool": "wrk",
                "requests": raw["requests"],
                "seconds": seconds,
                "rps": raw["requests"] / seconds if seconds else 0.0,
                "p50_ms": raw["p50_us"] / 1000,
                "p90_ms": raw["p90_us"] / 1000,
                "p95_ms": raw.get("p95_us", float("nan")) / 1000,
                "p99_ms": raw["p99_us"] / 1000,
                "p999_ms": raw["p999_us"] / 1000,
                "mean_ms": raw["lat_mean_us"] / 1000,
                "max_ms": raw["lat_max_us"] / 1000,
                "errors": raw["connect_errors"]
                + raw["read_errors"]
                + raw["write_errors"]
                + raw["timeout_errors"],
                "status_errors": raw["status_errors"],
            }
    raise RuntimeError(f"wrk gave no summary: {done.stdout[-2000:]} {done.stderr[-2000:]}")


def percentile(sorted_values: list[float], q: float) -> float:
    """The q-th percentile (0-100) of already sorted values, nearest rank."""
    if not sorted_values:
        return float("nan")
    rank = max(0, min(len(sorted_values) - 1, round(q / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[rank]


async def run_python(
    url: str,
    *,
    method: str,
    token: str | None,
    body: bytes | None,
    connections: int,
    duration: float,
    paths: list[str] | None = None,
) -> dict[str, Any]:
    """The fallback without wrk: ``connections`` asyncio workers on one aiohttp session.

    Slower than wrk (it needs a core of its own at a few thousand requests/s), so absolute rps
    are lower; ratios between variants of the same run stay meaningful.
    """
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    latencies: list[float] = []
    errors = 0
    status_errors = 0
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.perf_counter()
        deadline = start + duration

        async def worker() -> None:
            nonlocal errors, status_errors
            while time.perf_counter() < deadline:
                target = url + random.choice(paths) if paths else url
                t0 = time.perf_counter()
                try:
                    async with session.request(method, target, data=body, headers=headers) as r:
                        await r.read()
                        if r.status >= 400:
                            status_errors += 1
                except (aiohttp.ClientError, TimeoutError):
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - t0)

        await asyncio.gather(*(worker() for _ in range(connections)))
        seconds = time.perf_counter() - start
    latencies.sort()
    return {
        "tool": "python-aiohttp",
        "requests": len(latencies),
        "seconds": seconds,
        "rps": len(latencies) / seconds,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p90_ms": percentile(latencies, 90) * 1000,
        "p95_ms": percentile(latencies, 95) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "p999_ms": percentile(latencies, 99.9) * 1000,
        "mean_ms": (sum(latencies) / len(latencies) * 1000) if latencies else float("nan"),
        "max_ms": (latencies[-1] * 1000) if latencies else float("nan"),
        "errors": errors,
        "status_errors": status_errors,
    }
