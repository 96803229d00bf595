"""Root conftest: the shared fixtures (nats-server, databases) for every member's tests."""

pytest_plugins = ["cimahi_shared.testing.fixtures"]
