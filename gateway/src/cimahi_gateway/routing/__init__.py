"""The agency proxy: ``/api/<agency>/<rest>`` to the agency's service (a plain ASGI hot path)."""
