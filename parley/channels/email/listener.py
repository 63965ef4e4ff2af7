"""The inbound SMTP server (aiosmtpd) that `parley serve` runs in its own event loop.

- ``RCPT TO``: an address no organization owns (or a forged reply token) is refused with ``550``;
  nothing is stored for it. A database that cannot answer gives ``451``: try again later.
- ``DATA``: the message is parsed (never fails), stored in one transaction, and ``250`` is
  answered only after that transaction committed. Any failure on the way answers ``451``, so the
  sending server keeps the message and retries; the retry is deduplicated by Message-ID.

The socket is bound with SO_REUSEPORT, so two Parley processes on one host (or two test servers)
can share the port; each one stores into the same database.
"""

from __future__ import annotations

import asyncio
import logging

from aiosmtpd.smtp import SMTP, Envelope, Session

from parley.api.deps import Services
from parley.channels.email.inbound import deliver, route
from parley.channels.email.parse import parse

log = logging.getLogger("parley.email")

MAX_MESSAGE_BYTES = 25 * 1024 * 1024
MAX_RECIPIENTS = 50
TEMPORARY = "451 4.3.0 Temporary failure, please try again later"
UNKNOWN = "550 5.1.1 No such mailbox here"


class _Server(SMTP):
    # RFC 5321 allows 1000 octets a line; real mail (Outlook, generated HTML) sends far longer.
    line_length_limit = 65_536


class Handler:
    """aiosmtpd hooks. Each returns an SMTP reply line; none may raise (aiosmtpd would say 500)."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        settings = self.services.settings
        try:
            async with self.services.db.transaction() as db:
                found = await route(
                    db,
                    secret_key=settings.secret_key,
                    domain=settings.email_domain,
                    address=address,
                )
        except Exception:
            log.exception("email: could not look up recipient %r", address)
            return TEMPORARY
        if found is None:
            return UNKNOWN
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        parsed = parse(raw)
        try:
            results = await deliver(
                self.services,
                parsed,
                recipients=list(envelope.rcpt_tos),
                envelope_from=envelope.mail_from,
            )
        except Exception:
            log.exception("email: could not store %s", parsed.message_id)
            return TEMPORARY
        if results is None:
            return UNKNOWN
        duplicate = bool(results) and all(r.duplicate for r in results)
        return "250 2.0.0 Already stored" if duplicate else "250 2.0.0 Stored"


class Listener:
    """A running SMTP server; ``stop()`` closes it."""

    def __init__(self, server: asyncio.Server) -> None:
        self.server = server

    @property
    def port(self) -> int:
        port: int = self.server.sockets[0].getsockname()[1]
        return port

    async def stop(self) -> None:
        self.server.close()
        await self.server.wait_closed()


async def start_listener(services: Services) -> Listener | None:
    """Start the SMTP listener on PARLEY_SMTP_HOST:PARLEY_SMTP_PORT; None when the port is 0."""
    settings = services.settings
    if not settings.smtp_port:
        return None
    loop = asyncio.get_running_loop()
    handler = Handler(services)

    def protocol() -> SMTP:
        return _Server(
            handler,
            hostname=settings.email_domain,
            ident="Parley ESMTP",
            data_size_limit=MAX_MESSAGE_BYTES,
            enable_SMTPUTF8=True,
            timeout=120,
            loop=loop,
        )

    server = await loop.create_server(
        protocol, host=settings.smtp_host, port=settings.smtp_port, reuse_port=True
    )
    log.info("email: SMTP listener on %s:%s", settings.smtp_host, settings.smtp_port)
    return Listener(server)
