"""Entry point of ``make bench`` / ``make bench-quick``: ``python -m bench [--quick] [--scenarios ...]``."""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from bench import report
from bench.tools import ROOT, commit, ensure_tools, machine, say

ALL = ("p1", "lab", "p2", "p3", "p4", "p5")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="short version for development (~3 min)"
    )
    parser.add_argument(
        "--scenarios", default=",".join(ALL), help="comma-separated subset of " + ",".join(ALL)
    )
    parser.add_argument(
        "--backend", choices=("auto", "postgresql", "sqlite"), default="auto",
        help="database of the platform (auto: PostgreSQL when it answers at 127.0.0.1:5432)",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--no-profile", action="store_true", help="skip the py-spy profile in P1")
    parser.add_argument("--keep-tmp", action="store_true", help="keep the temporary directory")
    parser.add_argument(
        "--no-install", action="store_true",
        help="never apt-get install wrk/nginx (use the fallbacks of bench/README.md)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    scenarios = [s.strip().lower() for s in args.scenarios.split(",") if s.strip()]
    unknown = set(scenarios) - set(ALL)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")

    started = datetime.now().astimezone()
    stem = started.strftime("%Y-%m-%dT%H%M%S") + ("-quick" if args.quick else "")
    t0 = time.monotonic()
    tools = ensure_tools(install=not args.no_install)
    logging.getLogger("cimahi").setLevel(logging.ERROR)  # in-process P3: no reconnect chatter
    info, git = machine(), commit()
    say(
        f"machine: {info['cpu_model']}, {info['cores']} cores, {info['memory_gib']} GiB, kernel {info['kernel']}"
    )
    say(f"commit:  {git['commit']}{' (+ uncommitted changes)' if git['dirty'] else ''}")

    from bench import platform as plat

    backend = plat.backend_choice(args.backend)
    if backend != "postgresql":
        say("PostgreSQL not reachable: the platform runs on SQLite; P3 and P4 need PostgreSQL")
    work_dir = Path(tempfile.mkdtemp(prefix="cimahi-bench-"))
    say(f"temporary files: {work_dir}")
    results: dict[str, Any] = {
        "started": started.isoformat(timespec="seconds"),
        "command": "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:]),
        "quick": args.quick,
        "scenarios": scenarios,
        "backend": backend,
        "machine": info,
        "commit": git,
        "settings": plat.BENCH_ENV,
        "load_tool": "wrk" if tools["wrk"] else "python-aiohttp (wrk missing)",
    }
    failed = False
    try:
        if "p3" in scenarios:
            if backend == "postgresql":
                from bench import p3_event_pipeline

                results["p3"] = p3_event_pipeline.run(
                    work_dir,
                    quick=args.quick,
                    profile_dir=None if args.no_profile else args.out,
                    stem=stem,
                )
            else:
                results["p3"] = {"skipped": "needs PostgreSQL"}
        if {"p1", "lab", "p2", "p4", "p5"} & set(scenarios):
            from bench import p5_tax

            # With P5, the platform's E-PBB is seeded at P5's size (its inquiry runs on it).
            epbb_size = p5_tax.objects_for(quick=args.quick) if "p5" in scenarios else None
            extra = {"EPBB_DEMO_OBJECTS": str(epbb_size)} if epbb_size else {}
            with plat.running_platform(work_dir, backend=backend, extra_env=extra) as p:
                if "p1" in scenarios:
                    from bench import p1_gateway_hop

                    results["p1"] = p1_gateway_hop.run(
                        p,
                        quick=args.quick,
                        nginx_bin=tools["nginx"],
                        profile_dir=None if args.no_profile else args.out,
                        stem=stem,
                    )
                if "lab" in scenarios:
                    from bench import p1_frontdoor_lab

                    results["p1_lab"] = p1_frontdoor_lab.run(
                        p, quick=args.quick, nginx_bin=tools["nginx"]
                    )
                if "p2" in scenarios:
                    from bench import p2_status_propagation

                    results["p2"] = p2_status_propagation.run(p, quick=args.quick)
                if "p4" in scenarios:
                    from bench import p4_unified_list

                    results["p4"] = p4_unified_list.run(p, quick=args.quick)
                if "p5" in scenarios:
                    results["p5"] = p5_tax.run(p, work_dir, quick=args.quick)
    except Exception as exc:
        failed = True
        results["error"] = f"{type(exc).__name__}: {exc}"
        say(f"ERROR: {results['error']} (partial results are written; log in {work_dir})")
    results["wall_seconds"] = time.monotonic() - t0
    json_path, md_path, targets = report.write(results, args.out, stem)
    say("")
    say(f"machine: {info['cpu_model']}, {info['cores']} cores, {info['memory_gib']} GiB, "
        f"kernel {info['kernel']}; commit {git['commit'][:12]}{'+dirty' if git['dirty'] else ''}")  # fmt: skip
    for t in targets:
        say(f"  [{report.verdict(t['met']):>12s}] {t['target']:44s} {t['goal']:>20s}  {t['measured']}"
            + (f"  ({t['note']})" if t["note"] else ""))  # fmt: skip
    say(f"results: {json_path.relative_to(ROOT) if json_path.is_relative_to(ROOT) else json_path}, "
        f"{md_path.name}, {', '.join(results['plots'])} ({results['wall_seconds']:.0f} s)")  # fmt: skip
    if failed or args.keep_tmp:
        say(f"kept {work_dir}")
    else:
        shutil.rmtree(work_dir, ignore_errors=True)
    return 1 if failed else 0
