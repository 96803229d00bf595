"""Example: an integrator receiving Kota Cimahi's events live, straight from NATS.

Each event arrives as a CloudEvent in structured JSON mode on a subject
``cimahi.<agency>.<entity>.<verb>.v<N>``; this script parses it with the official ``cloudevents``
SDK and prints its type, subject and id. Your NATS account only carries the subjects you are
allowed (subscribing to any other is refused), and it is live only: events published while you
are disconnected are not replayed here - use a webhook subscription or the SSE stream
(``GET /api/v1/events/stream`` with ``Last-Event-ID``) when you must not miss any.

Configuration (environment variables):

- ``CIMAHI_NATS_URL``       the server, e.g. ``tls://nats.cimahikota.go.id:4222``
- ``CIMAHI_NATS_USER``      your NATS user (your client id)
- ``CIMAHI_NATS_PASSWORD``  your NATS password (from the city's operator)
- ``CIMAHI_NATS_SUBJECTS``  space-separated subjects, e.g. ``cimahi.epbb.payment.*.*``
                            (those in your account; ``cimahi nats-account`` lists them)

Run: ``pip install nats-py cloudevents`` then ``python examples/nats_subscriber.py``;
Ctrl-C stops it. ``--max N`` stops after N events, ``--timeout S`` after S seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from dataclasses import dataclass

import nats
from cloudevents.core.formats.json import JSONFormat
from nats.aio.msg import Msg


@dataclass(frozen=True)
class Settings:
    """Where to connect, as whom, and which subjects to follow."""

    url: str
    user: str
    password: str
    subjects: list[str]

    @classmethod
    def from_env(cls) -> Settings:
        """Read the settings from the environment (exits with a message when one is missing)."""
        missing = [
            name
            for name in ("CIMAHI_NATS_URL", "CIMAHI_NATS_USER", "CIMAHI_NATS_PASSWORD")
            if not os.environ.get(name)
        ]
        subjects = os.environ.get("CIMAHI_NATS_SUBJECTS", "").split()
        if not subjects:
            missing.append("CIMAHI_NATS_SUBJECTS")
        if missing:
            sys.exit(f"set {', '.join(missing)} (see the docstring of this script)")
        return cls(
            url=os.environ["CIMAHI_NATS_URL"],
            user=os.environ["CIMAHI_NATS_USER"],
            password=os.environ["CIMAHI_NATS_PASSWORD"],
            subjects=subjects,
        )


def describe(msg: Msg) -> str:
    """One line about an event: its CloudEvents type, subject and id (parsed by the SDK)."""
    event = JSONFormat().read(None, msg.data)
    return f"{event.get_type()} subject={event.get_subject()} id={event.get_id()}"


def say(line: str, *, error: bool = False) -> None:
    """Write one line to stdout (or stderr) at once, so a pipe sees it immediately."""
    stream = sys.stderr if error else sys.stdout
    stream.write(line + "\n")
    stream.flush()


async def run(settings: Settings, *, max_events: int = 0, seconds: float = 0.0) -> int:
    """Print every event on ``settings.subjects`` until stopped; returns how many were printed.

    Stops after ``max_events`` events or ``seconds`` seconds when they are positive, or on
    SIGINT/SIGTERM. A message that is not a CloudEvent is reported and skipped.
    """
    done = asyncio.Event()
    count = 0

    async def on_message(msg: Msg) -> None:
        nonlocal count
        try:
            line = describe(msg)
        except Exception as exc:  # a malformed message must not stop the subscriber
            say(f"skipped a message on {msg.subject}: {type(exc).__name__}", error=True)
            return
        count += 1
        say(f"{msg.subject}  {line}")
        if max_events and count >= max_events:
            done.set()

    async def on_error(exc: Exception) -> None:
        say(f"nats: {exc}", error=True)

    nc = await nats.connect(
        settings.url,
        user=settings.user,
        password=settings.password,
        name="cimahi-example-subscriber",
        error_cb=on_error,
        max_reconnect_attempts=-1,
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # e.g. not main thread
            loop.add_signal_handler(sig, done.set)
    try:
        for subject in settings.subjects:
            await nc.subscribe(subject, cb=on_message)
        await nc.flush()
        say(f"listening on {' '.join(settings.subjects)}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), seconds or None)
    finally:
        await nc.drain()
    return count


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description="Print Kota Cimahi events received from NATS.")
    parser.add_argument("--max", type=int, default=0, help="stop after this many events")
    parser.add_argument("--timeout", type=float, default=0.0, help="stop after this many seconds")
    args = parser.parse_args()
    asyncio.run(run(Settings.from_env(), max_events=args.max, seconds=args.timeout))


if __name__ == "__main__":
    main()
