"""Machine facts, the external tools (wrk, nginx), and /proc helpers (CPU time, core pinning)."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")


def say(text: str) -> None:
    """One line of the benchmark's own output."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _cmd(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (done.stdout + done.stderr).strip()


def ensure_tools(*, install: bool = True) -> dict[str, str | None]:
    """wrk and nginx from the system package manager when missing (root + apt-get), else None.

    Without wrk the P1/P4 rounds use the Python load generator (bench/loadgen.py); without nginx
    the nginx variant of P1 is skipped and its ratios are reported as not measured.
    """
    missing = [tool for tool in ("wrk", "nginx") if _which(tool) is None]
    if install and missing and shutil.which("apt-get") and os.geteuid() == 0:
        say(f"installing {' '.join(missing)} with apt-get (one time)")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False, timeout=300)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", *missing], env=env, check=False, timeout=600
        )
    found = {tool: _which(tool) for tool in ("wrk", "nginx")}
    for tool, path in found.items():
        if path is None:
            say(f"WARNING: {tool} is not available; see bench/README.md (fallbacks)")
    return found


def _which(tool: str) -> str | None:
    return shutil.which(tool) or next(
        (str(p) for p in (Path("/usr/sbin") / tool, Path("/usr/bin") / tool) if p.exists()), None
    )


def machine() -> dict[str, Any]:
    """CPU model, cores, memory, kernel, and the versions of what the numbers depend on."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    venv_bin = Path(sys.executable).parent
    return {
        "cpu_model": model,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "os": _os_name(),
        "python": platform.python_version(),
        "wrk": (_cmd(["wrk", "-v"]).splitlines() or [""])[0] if _which("wrk") else None,
        "nginx": _cmd([_which("nginx") or "nginx", "-v"]) if _which("nginx") else None,
        "nats_server": _cmd([str(venv_bin / "nats-server"), "--version"]),
    }


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.system()


def commit() -> dict[str, Any]:
    """The commit the run measured, and whether the work tree had uncommitted changes."""
    head = _cmd(["git", "-C", str(ROOT), "rev-parse", "HEAD"])
    dirty = bool(_cmd(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"]))
    return {"commit": head or "unknown", "dirty": dirty}


# --- /proc ------------------------------------------------------------------------------------


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of these processes (all their threads), in seconds."""
    total = 0
    for pid in pids:
        try:
            raw = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])  # fields 14 and 15 of proc(5)
    return total / CLK_TCK


def children(pid: int) -> list[int]:
    """The direct children of a process (e.g. nginx's workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        if int(raw[raw.rindex(")") + 2 :].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def pin(pids: list[int], cpus: set[int]) -> None:
    """Set the CPU affinity of every thread of these processes (threads made later inherit it)."""
    for pid in pids:
        try:
            tids = [int(t.name) for t in Path(f"/proc/{pid}/task").iterdir()]
        except OSError:
            continue
        for tid in tids:
            try:
                os.sched_setaffinity(tid, cpus)
            except OSError:
                pass


class Profiler:
    """py-spy record on a process (default: this one) for the duration of a ``with`` block.

    Stopped with SIGINT (py-spy then writes its collapsed stacks); ``summary`` is filled from them.
    Does nothing when ``out_dir`` is None or py-spy is not installed.
    """

    def __init__(self, out_dir: Path | None, name: str, *, pid: int | None = None) -> None:
        self.out = out_dir / name if out_dir is not None else None
        self.pid = pid or os.getpid()
        self.proc: subprocess.Popen[bytes] | None = None
        self.summary: dict[str, Any] | None = None

    def __enter__(self) -> Profiler:
        spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        if self.out is None or not Path(spy).exists():
            return self
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [spy, "record", "--pid", str(self.pid), "--rate", "250", "--nonblocking",
             "--format", "raw", "--output", str(self.out)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(0.3)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is None or self.out is None:
            return
        import signal

        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.out.exists():
            from bench.profiles import summarize

            self.summary = summarize(self.out)
