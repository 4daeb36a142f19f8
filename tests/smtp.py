"""Mail servers for delivery tests: a real SMTP server on loopback, and a port nobody listens on."""

import asyncio
import socket
from contextlib import contextmanager

from aiosmtpd.controller import Controller


def closed_port():
    """A free loopback port with no listener: connecting to it is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class CollectingHandler:
    """Keeps the envelope of every message the server accepts."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


class SilentHandler(CollectingHandler):
    """Keeps every message it is sent, then never answers: the sender times out although the message arrived."""

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        await asyncio.Event().wait()


@contextmanager
def smtp_server(handler=None):
    """An aiosmtpd server on 127.0.0.1 for the duration of the block; `.handler.envelopes` holds what it got."""
    controller = Controller(handler or CollectingHandler(), hostname="127.0.0.1", port=closed_port())
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()
