"""Demo payment channels (development only): a bank, a QRIS acquirer and the post office.

Their machine clients are created at the gateway by its demo seed with the same client_ids;
the HMAC secrets below are fixed so the docs and the walkthrough can sign callbacks. Never use
them outside development.
"""

from __future__ import annotations

from cimahi_epbb.config import EpbbSettings
from cimahi_epbb.payments import repository, service
from cimahi_epbb.payments.schemas import ChannelCreate, ChannelKind
from cimahi_shared.db import create_engine, create_session_factory, utcnow
from cimahi_shared.pii import PiiCipher

DEMO_CHANNELS: tuple[tuple[ChannelCreate, str], ...] = (
    (
        ChannelCreate(
            code="bjb", name="Bank BJB", kind=ChannelKind.BANK, client_id="bank-bjb-demo"
        ),
        "whsec_ZGVtby1iamItc2VjcmV0LWRldmVsb3BtZW50LW9ubHk=",
    ),
    (
        ChannelCreate(code="qris", name="QRIS", kind=ChannelKind.QRIS, client_id="qris-demo"),
        "whsec_ZGVtby1xcmlzLXNlY3JldC1kZXZlbG9wbWVudC1vbmx5",
    ),
    (
        ChannelCreate(
            code="pos", name="Pos Indonesia", kind=ChannelKind.POST, client_id="pos-demo"
        ),
        "whsec_ZGVtby1wb3Mtc2VjcmV0LWRldmVsb3BtZW50LW9ubHk=",
    ),
)
"""(channel, fixed development secret) of each demo channel."""


async def seed_demo_channels(settings: EpbbSettings) -> int:
    """Register the demo channels that are missing (idempotent); how many were created."""
    engine = create_engine(settings.database_url)
    pii = PiiCipher(settings.pii_key.get_secret_value())
    created = 0
    try:
        async with create_session_factory(engine)() as session, session.begin():
            for data, secret in DEMO_CHANNELS:
                if await repository.get_channel(session, data.code) is not None:
                    continue
                await service.create_channel(
                    session, data=data, pii=pii, now=utcnow(), secret=secret
                )
                created += 1
    finally:
        await engine.dispose()
    return created
