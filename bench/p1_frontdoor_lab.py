"""P1 lab: the front door alone, in front of an upstream that costs (almost) nothing.

In P1 proper the service is the bottleneck, so every front door idles part of the time and its
CPU per request includes the event loop's idle cost. Here the upstream is nginx returning a fixed
~300-byte JSON (pinned to CPU 1, like wrk is not), so each front door (pinned to CPU 0) is driven
as hard as it goes; this is the setting of the reference lab in docs/performance.md:

- ``nginx``: nginx proxying with a keep-alive upstream (no auth);
- ``asgi-aiohttp``: a plain ASGI proxy on uvicorn with one aiohttp ClientSession (no auth);
- ``asgi-pool``: the same with the gateway's own upstream pool (no auth);
- ``gateway``: the real gateway (token verified per request from its cache, rate limiter,
  metrics, request id and trace context, hop-by-hop filtering), a second instance of it whose
  ``lakami`` upstream is the static one.

The first two show why the gateway does not use aiohttp's client on its hot path; the last two
how much the gateway's own work adds.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

from bench import platform as plat
from bench.loadgen import load
from bench.tools import children, cpu_seconds, pin, say
from cimahi_shared.supervisor import ProcessSpec, Supervisor
from cimahi_shared.testing.processes import free_port

VARIANTS = ("nginx", "asgi-aiohttp", "asgi-pool", "gateway")
STATIC_BODY = json.dumps(
    {
        "tracking_no": "LKM-3277011001-2026-000001",
        "status": "submitted",
        "letter_type": "domisili",
        "kelurahan": "3277011001",
        "created_at": "2026-11-28T10:00:00+00:00",
        "updated_at": "2026-11-28T10:00:00+00:00",
        "fields": {"purpose": "Pembukaan rekening bank", "address": "Jl. Melong Raya 1"},
    }
)

_NGINX_COMMON = """daemon off;
master_process on;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    keepalive_requests 1000000;
    {body}
}}
"""
_STATIC = """server {{
        listen 127.0.0.1:{port};
        location / {{ default_type application/json; return 200 '{payload}'; }}
    }}"""
_PROXY = """upstream static {{ server 127.0.0.1:{upstream}; keepalive 256; }}
    server {{
        listen 127.0.0.1:{port};
        location /api/lakami/ {{
            proxy_pass http://static/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $remote_addr;
        }}
    }}"""


def _nginx(sup: Supervisor, nginx_bin: str, work: Path, name: str, body: str, port: int) -> int:
    prefix = work / name
    prefix.mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(_NGINX_COMMON.format(prefix=prefix, body=body))
    proc = sup.start(
        ProcessSpec(name, [nginx_bin, "-p", str(prefix), "-c", str(conf), "-e",
                           str(prefix / "error.log")], ready_port=port)
    )  # fmt: skip
    return proc.pid


def _uvicorn(app: str, port: int) -> list[str]:
    return [sys.executable, "-m", "uvicorn", app, "--factory", "--host", "127.0.0.1", "--port",
            str(port), "--log-level", "warning", "--no-access-log"]  # fmt: skip


def run(p: plat.Platform, *, quick: bool, nginx_bin: str | None) -> dict[str, Any]:
    if nginx_bin is None:
        return {"skipped": "needs nginx (the static upstream and the nginx variant)"}
    rounds, duration, warmup = (1, 3.0, 2.0) if quick else (3, 5.0, 2.0)
    connections = 32
    work = p.work_dir / "p1-lab"
    work.mkdir(exist_ok=True)
    token = p.tokens.get("lab") or _token(p)
    sup = Supervisor(out=(work / "lab.log").open("w"), colour=False)
    try:
        static_port = free_port()
        payload = STATIC_BODY.replace("'", "")
        static_pid = _nginx(sup, nginx_bin, work, "static",
                            _STATIC.format(port=static_port, payload=payload), static_port)  # fmt: skip
        pin([static_pid, *children(static_pid)], {1})
        ports = {v: free_port() for v in VARIANTS}
        pids: dict[str, list[int]] = {}
        master = _nginx(sup, nginx_bin, work, "nginx",
                        _PROXY.format(upstream=static_port, port=ports["nginx"]), ports["nginx"])  # fmt: skip
        pids["nginx"] = [master, *children(master)]
        env = {
            "BENCH_UPSTREAM_PORT": str(static_port),
            "PYTHONPATH": str(Path(__file__).parent.parent),
        }
        for variant, factory in (("asgi-aiohttp", "make_aiohttp"), ("asgi-pool", "make_pool")):
            proc = sup.start(
                ProcessSpec(variant, _uvicorn(f"bench.frontdoor_apps:{factory}", ports[variant]),
                            env=env, ready_port=ports[variant])
            )  # fmt: skip
            pids[variant] = [proc.pid]
        gateway_env = {
            **p.env,
            "GATEWAY_UPSTREAMS": json.dumps({"lakami": f"http://127.0.0.1:{static_port}"}),
            "GATEWAY_LOG_JSON": "false",
        }
        proc = sup.start(
            ProcessSpec("gateway-lab", _uvicorn("cimahi_gateway.main:create_app", ports["gateway"]),
                        env=gateway_env, ready_url=f"http://127.0.0.1:{ports['gateway']}/readyz")
        )  # fmt: skip
        pids["gateway"] = [proc.pid]
        for variant in VARIANTS:
            pin(pids[variant], {0})
        url = {
            v: f"http://127.0.0.1:{ports[v]}/api/lakami/v1/letter-requests/LKM-1" for v in VARIANTS
        }

        raw: list[dict[str, Any]] = []
        say(f"P1 lab: front doors pinned to CPU 0, static upstream on CPU 1, c={connections}")
        for variant in VARIANTS:
            load(url[variant], method="GET", token=token, body=None, connections=connections,
                 duration=warmup, work_dir=work)  # fmt: skip
        for r in range(rounds):
            order = list(VARIANTS) if r % 2 == 0 else list(reversed(VARIANTS))
            for variant in order:
                before = cpu_seconds(pids[variant])
                result = load(url[variant], method="GET", token=token, body=None,
                              connections=connections, duration=duration, work_dir=work)  # fmt: skip
                used = cpu_seconds(pids[variant]) - before
                result.update(variant=variant, round=r,
                              front_cpu_us_per_req=used / max(1, result["requests"]) * 1e6)  # fmt: skip
                raw.append(result)
                say(f"  {variant:13s} {result['rps']:8.0f} rps  p50 {result['p50_ms']:6.2f}  "
                    f"p99 {result['p99_ms']:7.2f} ms  CPU {result['front_cpu_us_per_req']:6.0f} us/req"
                    + (f"  ERRORS {result['errors']}/{result['status_errors']}"
                       if result["errors"] or result["status_errors"] else ""))  # fmt: skip
    finally:
        sup.stop_all()

    summary = []
    for variant in VARIANTS:
        rs = [r for r in raw if r["variant"] == variant]
        summary.append(
            {
                "variant": variant,
                "rps": statistics.median(r["rps"] for r in rs),
                "p50_ms": statistics.median(r["p50_ms"] for r in rs),
                "p99_ms": statistics.median(r["p99_ms"] for r in rs),
                "front_cpu_us_per_req": statistics.median(r["front_cpu_us_per_req"] for r in rs),
                "errors": sum(r["errors"] + r["status_errors"] for r in rs),
            }
        )
    ref = next(s for s in summary if s["variant"] == "nginx")
    for s in summary:
        s["rps_vs_nginx"] = s["rps"] / ref["rps"] if ref["rps"] else None
    return {"rounds": rounds, "round_seconds": duration, "connections": connections,
            "summary": summary, "raw": raw}  # fmt: skip


def _token(p: plat.Platform) -> str:
    import httpx

    with httpx.Client(base_url=p.gateway_url, timeout=30) as client:
        citizen = plat.register_citizen(client, 7002)
        return plat.token(client, citizen["username"], plat.CITIZEN_PASSWORD)
