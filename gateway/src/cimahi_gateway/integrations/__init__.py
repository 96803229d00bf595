"""Integrators: the city's events for banks, national platforms and other systems.

* ``integrators``: admins register an integrator (a machine client with allowed event types);
* ``scopes``: which events an integrator may see (patterns over ``<agency>.<entity>.<verb>``);
* ``eventlog``: the gateway's ordered log of every agency's events (one durable consumer);
* ``stream``: Server-Sent Events from that log, resumable with ``Last-Event-ID``;
* ``webhooks``: Standard Webhooks subscriptions, their signing secrets and deliveries;
* ``asyncapi``: the AsyncAPI 3.0 document of every event type, from the agencies' catalogues.
"""
