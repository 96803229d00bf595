"""Test helpers for every member: real nats-server and PostgreSQL, free ports, process control."""
