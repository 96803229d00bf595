"""Webhooks (Standard Webhooks): integrators' endpoints, signing secrets, the delivery queue."""
