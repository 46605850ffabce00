"""Fixtures: a CMPP ISMG simulator on 127.0.0.1 with a free port, and a raw SP client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime

import pytest

from hongyan.protocols.cmpp import pdu as p
from hongyan.protocols.cmpp.auth import authenticator_source, timestamp
from hongyan.protocols.cmpp.codec import CmppError, Decoder, encode
from hongyan.simulator.cmpp import CmppSimulator

SP_ID = "901234"
SECRET = "s3cret"


@pytest.fixture
async def ismg() -> AsyncIterator[CmppSimulator]:
    sim = CmppSimulator(credentials={SP_ID: SECRET}, redeliver_delay=0.05, seed=7)
    await sim.start()
    yield sim
    await sim.stop()


class RawSp:
    """A bare CMPP client over asyncio streams: send PDUs, read the next one."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self._decoder = Decoder()
        self._ready: list[p.Pdu | CmppError] = []
        self.authenticator = b""  # the AuthenticatorSource of the last CMPP_CONNECT

    @classmethod
    async def open(cls, port: int) -> RawSp:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    def send(self, pdu: p.Pdu) -> None:
        self.writer.write(encode(pdu))

    async def read(self) -> p.Pdu | None:
        """The next PDU; ``None`` when the ISMG closed the connection."""
        async with asyncio.timeout(5):
            while not self._ready:
                data = await self.reader.read(65536)
                if not data:
                    return None
                self._ready += self._decoder.feed(data)
        item = self._ready.pop(0)
        assert not isinstance(item, CmppError), item.reason
        return item

    async def connect(self, sp_id: str = SP_ID, secret: str = SECRET) -> p.ConnectResp:
        stamp = timestamp(datetime.now())
        self.authenticator = authenticator_source(sp_id, secret, stamp)
        self.send(
            p.Connect(
                sequence_id=1,
                source_addr=sp_id,
                authenticator_source=self.authenticator,
                timestamp=stamp,
            )
        )
        resp = await self.read()
        assert isinstance(resp, p.ConnectResp)
        return resp

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()
