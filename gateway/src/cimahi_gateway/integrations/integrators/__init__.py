"""Integrator clients: registered by admins, each a machine client with allowed event types."""
