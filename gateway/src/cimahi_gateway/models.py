"""Every gateway model, imported in one place so Alembic and the app see the full metadata."""

from cimahi_gateway.identity import models as identity_models
from cimahi_gateway.integrations import models as integration_models
from cimahi_gateway.requests import models as request_models

__all__ = ["identity_models", "integration_models", "request_models"]
