"""P1, the gateway hop: the same LAKAMI endpoints direct, behind nginx, and behind the gateway.

GET ``/v1/letter-requests/{tracking_no}`` (the caller's own request) and POST
``/v1/letter-requests`` (a new request each time), with the caller's bearer token on every
request (nginx and direct pass it to LAKAMI, which verifies it; only the gateway also verifies it
at the door). A third case, GET ``/healthz`` with the same token (the gateway authenticates it like
any other call; LAKAMI answers it without a database), is the cheapest real endpoint: there the
service is not the bottleneck, so the front door's own cost and capacity show. Rounds alternate the variants; medians of the rounds are reported. CPU per request
is utime+stime of the front door's processes (/proc/<pid>/stat) over a round / its requests.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx

from bench import platform as plat
from bench.loadgen import load
from bench.tools import Profiler, children, cpu_seconds, pin, say
from cimahi_shared.supervisor import ProcessSpec
from cimahi_shared.testing.processes import free_port

TEMPLATE = Path(__file__).resolve().parent / "nginx.conf.template"
VARIANTS = ("direct", "nginx", "gateway")


def start_nginx(p: plat.Platform, nginx_bin: str) -> int:
    """nginx (not a daemon) on a free loopback port, everything under its own temp prefix."""
    prefix = p.work_dir / "nginx"
    prefix.mkdir(exist_ok=True)
    port = free_port()
    conf = (
        TEMPLATE.read_text()
        .replace("@PREFIX@", str(prefix))
        .replace("@PORT@", str(port))
        .replace("@UPSTREAM_PORT@", str(p.lakami_port))
    )
    (prefix / "nginx.conf").write_text(conf)
    p.sup.start(
        ProcessSpec(
            "nginx",
            [nginx_bin, "-p", str(prefix), "-c", str(prefix / "nginx.conf"),
             "-e", str(prefix / "error.log")],
            ready_port=port,
        )
    )  # fmt: skip
    return port


def _front_pids(p: plat.Platform, variant: str) -> list[int]:
    if variant == "gateway":
        return [p.pid("gateway")]
    if variant == "nginx":
        master = p.pid("nginx")
        return [master, *children(master)]
    return []


def _apply_mode(p: plat.Platform, mode: str, variants: list[str]) -> None:
    both = {0, 1}
    front = {0} if mode == "pinned" else both
    pin([p.pid("gateway")], front)
    if "nginx" in variants:
        pin(_front_pids(p, "nginx"), front)
    pin([p.pid("lakami")], {1} if mode == "pinned" else both)


def _round(
    p: plat.Platform,
    variant: str,
    url: str,
    *,
    method: str,
    token: str,
    body: bytes | None,
    connections: int,
    duration: float,
    work_dir: Path,
) -> dict[str, Any]:
    if method == "POST":
        plat.settle(p)  # the previous round's events are projected before this one starts
    front = _front_pids(p, variant)
    service = [p.pid("lakami")]
    front_before, service_before = cpu_seconds(front), cpu_seconds(service)
    result = load(
        url,
        method=method,
        token=token,
        body=body,
        connections=connections,
        duration=duration,
        work_dir=work_dir,
    )
    front_cpu = cpu_seconds(front) - front_before
    service_cpu = cpu_seconds(service) - service_before
    n = max(1, result["requests"])
    result["front_cpu_us_per_req"] = front_cpu / n * 1e6 if front else None
    result["service_cpu_us_per_req"] = service_cpu / n * 1e6
    p.check_alive()
    return result


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def run(
    p: plat.Platform,
    *,
    quick: bool,
    nginx_bin: str | None,
    profile_dir: Path | None,
    stem: str = "",
) -> dict[str, Any]:
    levels = [1, 32] if quick else [1, 8, 32, 128]
    rounds = 1 if quick else 2
    duration = 3.0 if quick else 5.0
    first_warmup, warmup = (2.0, 1.0) if quick else (3.0, 1.0)
    work_dir = p.work_dir / "p1"
    work_dir.mkdir(exist_ok=True)

    with httpx.Client(base_url=p.gateway_url, timeout=30) as client:
        citizen = plat.register_citizen(client, 7001)
        tok = plat.token(client, citizen["username"], plat.CITIZEN_PASSWORD)
        body = json.dumps(plat.letter_body(citizen)).encode()
        created = client.post(
            "/api/lakami/v1/letter-requests",
            content=body,
            headers={"Authorization": f"Bearer {tok}", "Content-Type": "application/json"},
        )
        if created.status_code != 201:
            raise RuntimeError(f"could not create a letter: {created.status_code} {created.text}")
        tracking_no = created.json()["tracking_no"]

    variants = ["direct", "gateway"]
    nginx_port = None
    if nginx_bin is not None:
        nginx_port = start_nginx(p, nginx_bin)
        variants = ["direct", "nginx", "gateway"]
    bases = {
        "direct": p.lakami_url,
        "nginx": f"http://127.0.0.1:{nginx_port}/api/lakami",
        "gateway": f"{p.gateway_url}/api/lakami",
    }
    # case -> (HTTP method, path, body)
    cases: dict[str, tuple[str, str, bytes | None]] = {
        "GET": ("GET", f"/v1/letter-requests/{tracking_no}", None),
        "POST": ("POST", "/v1/letter-requests", body),
        "GET healthz": ("GET", "/healthz", None),
    }

    raw: list[dict[str, Any]] = []
    warmed: set[tuple[str, str]] = set()
    for case, (method, path, case_body) in cases.items():
        for mode in ("shared", "pinned"):
            _apply_mode(p, mode, variants)
            for c in levels:
                say(f"P1 {case} {mode} c={c}: warm-up")
                for variant in variants:
                    w = warmup if (case, variant) in warmed else first_warmup
                    warmed.add((case, variant))
                    _round(
                        p, variant, bases[variant] + path, method=method, token=tok,
                        body=case_body, connections=c, duration=w, work_dir=work_dir,
                    )  # fmt: skip
                for r in range(rounds):
                    order = variants[r % len(variants) :] + variants[: r % len(variants)]
                    if r % 2:
                        order.reverse()
                    for variant in order:
                        result = _round(
                            p, variant, bases[variant] + path, method=method, token=tok,
                            body=case_body, connections=c, duration=duration, work_dir=work_dir,
                        )  # fmt: skip
                        result.update(
                            method=case, mode=mode, concurrency=c, variant=variant, round=r
                        )
                        raw.append(result)
                        cpu = result["front_cpu_us_per_req"]
                        say(
                            f"  {variant:8s} {result['rps']:8.0f} rps  p50 {result['p50_ms']:6.2f}"
                            f"  p99 {result['p99_ms']:7.2f} ms"
                            + (f"  front CPU {cpu:6.0f} us/req" if cpu is not None else "")
                            + (f"  ERRORS {result['errors']}/{result['status_errors']}"
                               if result["errors"] or result["status_errors"] else "")
                        )  # fmt: skip

    groups: dict[tuple[str, str, int, str], list[dict[str, Any]]] = defaultdict(list)
    for r in raw:
        groups[(r["method"], r["mode"], r["concurrency"], r["variant"])].append(r)
    summary = []
    for (method, mode, c, variant), rs in groups.items():
        summary.append(
            {
                "method": method,
                "mode": mode,
                "concurrency": c,
                "variant": variant,
                "rounds": len(rs),
                "rps": _median([r["rps"] for r in rs]),
                "p50_ms": _median([r["p50_ms"] for r in rs]),
                "p90_ms": _median([r["p90_ms"] for r in rs]),
                "p99_ms": _median([r["p99_ms"] for r in rs]),
                "front_cpu_us_per_req": _median([r["front_cpu_us_per_req"] for r in rs]),
                "service_cpu_us_per_req": _median([r["service_cpu_us_per_req"] for r in rs]),
                "errors": sum(r["errors"] + r["status_errors"] for r in rs),
                "requests": sum(r["requests"] for r in rs),
            }
        )
    by_key = {(s["method"], s["mode"], s["concurrency"], s["variant"]): s for s in summary}
    for s in summary:
        ref = by_key.get((s["method"], s["mode"], s["concurrency"], "nginx"))
        direct = by_key.get((s["method"], s["mode"], s["concurrency"], "direct"))
        s["rps_vs_nginx"] = s["rps"] / ref["rps"] if ref and ref["rps"] else None
        s["added_p99_vs_direct_ms"] = s["p99_ms"] - direct["p99_ms"] if direct else None
        s["added_p99_vs_nginx_ms"] = s["p99_ms"] - ref["p99_ms"] if ref else None

    profile = lakami_profile = None
    if profile_dir is not None:
        _apply_mode(p, "pinned", variants)
        profile = profile_gateway(
            p,
            bases["gateway"] + cases["GET"][1],
            token=tok,
            out_dir=profile_dir,
            duration=4.0 if quick else 8.0,
            work_dir=work_dir,
            name=f"{stem}-p1-gateway-profile.txt",
        )
        with Profiler(profile_dir, f"{stem}-p1-lakami-profile.txt", pid=p.pid("lakami")) as prof:
            load(bases["direct"] + cases["GET"][1], method="GET", token=tok, body=None,
                 connections=32, duration=4.0 if quick else 8.0, work_dir=work_dir)  # fmt: skip
        lakami_profile = prof.summary  # fmt: skip
    _apply_mode(p, "shared", variants)
    return {
        "levels": levels,
        "rounds": rounds,
        "round_seconds": duration,
        "variants": variants,
        "endpoints": {
            "GET": "/v1/letter-requests/{tracking_no} (own request, with history)",
            "POST": "/v1/letter-requests (a new letter request, ~500-byte JSON body)",
            "GET healthz": "/healthz with the token (the cheapest real endpoint: no database)",
        },
        "summary": sorted(
            summary, key=lambda s: (s["method"], s["mode"], s["concurrency"], s["variant"])
        ),
        "raw": raw,
        "profile": profile,
        "lakami_profile": lakami_profile,
    }


def profile_gateway(
    p: plat.Platform,
    url: str,
    *,
    token: str,
    out_dir: Path,
    duration: float,
    work_dir: Path,
    name: str,
) -> dict[str, Any] | None:
    """py-spy on the gateway during an extra GET round (pinned, c=32; not counted in the table)."""
    with Profiler(out_dir, name, pid=p.pid("gateway")) as prof:
        load(url, method="GET", token=token, body=None, connections=32, duration=duration,
             work_dir=work_dir)  # fmt: skip
    return prof.summary
