"""pytest plugin: the test session fails when a raw NIK shows up in a log record or an event.

Personal identifiers (NIK, No. KK) must never be logged, put in events or in tokens. The log
formatters mask every 16-digit run as a last line of defence; this guard checks that the code
does not rely on it. For the whole session it looks at:

- every log record that reaches the root logger (message with its arguments, extra fields,
  exception and stack text), before any formatter masks it;
- every CloudEvent serialised (``CloudEvent.to_json``: what the outbox stores and the relay
  publishes to NATS);
- any text a fixture hands to :func:`check_text` or :func:`check_file` (the end-to-end tests
  pass the platform's process logs).

A hit is a 16-digit run that is a structurally valid NIK (``validate_nik``; a No. KK usually
passes too). At the end of the session the offences are listed (masked, with the test that
produced them) and the session fails. A test that logs a NIK on purpose (to test the masking)
says so with ``@pytest.mark.raw_nik_expected``.

Installed by the root ``conftest.py``; only test sessions are patched, never production code.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from cimahi_shared.events.envelope import CloudEvent
from cimahi_shared.identifiers import mask_nik, validate_nik

MARKER = "raw_nik_expected"
_SIXTEEN_DIGITS = re.compile(r"(?<!\d)\d{16}(?!\d)")
_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
_EXCERPT = 200


def find_niks(text: str) -> list[str]:
    """The distinct 16-digit runs of ``text`` that are structurally valid NIKs."""
    found = []
    for run in dict.fromkeys(_SIXTEEN_DIGITS.findall(text)):
        try:
            found.append(validate_nik(run))
        except ValueError:
            continue
    return found


def _masked_excerpt(text: str, nik: str) -> str:
    at = text.find(nik)
    start = max(0, at - _EXCERPT // 2)
    excerpt = text[start : start + _EXCERPT].replace("\n", "\\n")
    return _SIXTEEN_DIGITS.sub(lambda m: mask_nik(m.group()), excerpt)


@dataclass(frozen=True)
class Offence:
    """A raw NIK seen somewhere: where it came from, the test, and the line (masked)."""

    source: str
    test: str
    excerpt: str


@dataclass
class NikGuard:
    """Collects offences; ``suspended`` while a test marked ``raw_nik_expected`` runs."""

    offences: list[Offence] = field(default_factory=list)
    suspended: bool = False

    def check_text(self, text: str, *, source: str) -> list[Offence]:
        """Record (and return) an offence for each raw NIK in ``text``."""
        if self.suspended or not text:
            return []
        test = os.environ.get("PYTEST_CURRENT_TEST", "(outside a test)")
        new = [Offence(source, test, _masked_excerpt(text, nik)) for nik in find_niks(text)]
        self.offences.extend(new)
        return new

    def check_record(self, record: logging.LogRecord) -> list[Offence]:
        """Check a log record as a handler sees it, before any masking formatter."""
        if self.suspended:
            return []
        return self.check_text(_record_text(record), source=f"log record of {record.name!r}")

    def check_lines(self, lines: Iterable[str], *, source: str) -> list[Offence]:
        """Check each line of a log file or stream."""
        found: list[Offence] = []
        for number, line in enumerate(lines, start=1):
            found += self.check_text(line, source=f"{source}, line {number}")
        return found

    def report(self) -> list[str]:
        """The offences as lines for the terminal (NIKs masked there too)."""
        return [f"{o.source} in {o.test}: {o.excerpt}" for o in self.offences]


def _record_text(record: logging.LogRecord) -> str:
    try:
        message = record.getMessage()
    except Exception:
        message = f"{record.msg!s} {record.args!r}"
    parts = [message]
    parts += [
        f"{key}={value!s}"
        for key, value in record.__dict__.items()
        if key not in _STANDARD_ATTRS and not key.startswith("_")
    ]
    if record.exc_info:
        parts.append(logging.Formatter().formatException(record.exc_info))
    elif record.exc_text:
        parts.append(record.exc_text)
    if record.stack_info:
        parts.append(record.stack_info)
    return "\n".join(parts)


class GuardHandler(logging.Handler):
    """A handler every record reaching the root logger passes through (see ``install``)."""

    def __init__(self, guard: NikGuard) -> None:
        super().__init__(level=logging.NOTSET)
        self.guard = guard

    def emit(self, record: logging.LogRecord) -> None:
        self.guard.check_record(record)


def _reaches_root(logger: logging.Logger) -> bool:
    current: logging.Logger | None = logger
    while current is not None:
        if current is logging.root:
            return True
        if not current.propagate:
            return False
        current = current.parent
    return False


_ACTIVE: list[NikGuard] = []


def active_guard() -> NikGuard | None:
    """The guard of the running session, if the plugin is loaded."""
    return _ACTIVE[-1] if _ACTIVE else None


def check_text(text: str, *, source: str) -> None:
    """Let the session's guard check text produced outside this process (e.g. a service log)."""
    guard = active_guard()
    if guard is not None:
        guard.check_text(text, source=source)


def check_file(path: Path, *, source: str | None = None) -> None:
    """Let the session's guard check every line of a log file (missing files are skipped)."""
    guard = active_guard()
    if guard is not None and path.exists():
        with path.open(encoding="utf-8", errors="replace") as lines:
            guard.check_lines(lines, source=source or str(path))


def install(guard: NikGuard) -> Callable[[], None]:
    """Route every log record reaching the root, and every serialised event, through ``guard``.

    ``configure_logging`` replaces the root logger's handlers whenever an app is built, so the
    handler is called from ``Logger.callHandlers`` rather than attached to the root. Returns
    the function that undoes it.
    """
    handler = GuardHandler(guard)
    original_call = logging.Logger.callHandlers
    original_to_json = CloudEvent.to_json

    def call_handlers(self: logging.Logger, record: logging.LogRecord) -> None:
        if _reaches_root(self):
            handler.handle(record)
        original_call(self, record)

    def to_json(self: CloudEvent) -> bytes:
        raw = original_to_json(self)
        guard.check_text(raw.decode("utf-8", "replace"), source=f"event {self.type}")
        return raw

    logging.Logger.callHandlers = call_handlers  # type: ignore[method-assign]
    CloudEvent.to_json = to_json  # type: ignore[method-assign]
    _ACTIVE.append(guard)

    def uninstall() -> None:
        logging.Logger.callHandlers = original_call  # type: ignore[method-assign]
        CloudEvent.to_json = original_to_json  # type: ignore[method-assign]
        _ACTIVE.remove(guard)

    return uninstall


# --- the pytest hooks ---

_STASH: pytest.StashKey[tuple[NikGuard, Callable[[], None]]] = pytest.StashKey()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}: the test logs or emits a raw NIK on purpose (e.g. to test the masking)",
    )
    guard = NikGuard()
    config.stash[_STASH] = (guard, install(guard))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[Any]:
    guard = config_guard(item.config)
    expected = guard is not None and item.get_closest_marker(MARKER) is not None
    if expected and guard is not None:
        guard.suspended = True
    try:
        return (yield)
    finally:
        if expected and guard is not None:
            guard.suspended = False


def config_guard(config: pytest.Config) -> NikGuard | None:
    """The guard this session installed."""
    entry = config.stash.get(_STASH, None)
    return entry[0] if entry else None


_WORKER_OUTPUT_KEY = "cimahi_nik_offences"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    guard = config_guard(session.config)
    worker_output = getattr(session.config, "workeroutput", None)
    if guard is not None and worker_output is not None:
        # A pytest-xdist worker: hand the offences to the controller, which fails the session.
        worker_output[_WORKER_OUTPUT_KEY] = [vars(o) for o in guard.offences]
        return
    if guard is not None and guard.offences and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """pytest-xdist controller: collect the offences a worker found."""
    guard = config_guard(node.config)
    output = getattr(node, "workeroutput", None) or {}
    if guard is not None:
        guard.offences.extend(Offence(**o) for o in output.get(_WORKER_OUTPUT_KEY, []))


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    guard = config_guard(config)
    if guard is None or not guard.offences:
        return
    terminalreporter.section("raw NIK in logs or events", sep="=", red=True, bold=True)
    terminalreporter.write_line(
        f"{len(guard.offences)} raw NIK(s) in log records or events (shown masked here); "
        "the session fails. Never log or emit a NIK: mask it (cimahi_shared.identifiers.mask_nik)."
    )
    for line in guard.report():
        terminalreporter.write_line("  " + line)


def pytest_unconfigure(config: pytest.Config) -> None:
    entry = config.stash.get(_STASH, None)
    if entry is not None:
        entry[1]()
        del config.stash[_STASH]
