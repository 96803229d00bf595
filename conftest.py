"""Root conftest: the shared fixtures (nats-server, databases) for every member's tests.

``nik_guard`` fails the session when a raw NIK appears in a log record or an event (see its
module docstring); ``pytester`` lets the guard's own test run it in a separate pytest.
"""

pytest_plugins = ["cimahi_shared.testing.fixtures", "cimahi_shared.testing.nik_guard", "pytester"]
