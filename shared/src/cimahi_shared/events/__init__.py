"""Events: the CloudEvents envelope, the request-lifecycle contract, the outbox and its relay, consumers."""
