"""DILANDACINTA's events, enqueued in the outbox inside the transaction of the change."""
