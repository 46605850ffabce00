"""An SMSC simulator: accepts binds, answers submit_sm, sends receipts and inbound messages.

It is a test double with knobs: credentials and bind limits, receipt delay and outcome mix,
throttling, permanent failure by destination prefix, dropped connections, paused receipts.
Everything it does is counted in ``stats``. It runs inside any event loop (tests, ``hongyan
demo``) or in its own process (``hongyan simulator``, benchmarks).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import Enum

from hongyan.core import segments
from hongyan.protocols.smpp import pdu as p
from hongyan.protocols.smpp.body import segment_bodies
from hongyan.protocols.smpp.constants import ESM_CLASS_RECEIPT, MessageState, Tag
from hongyan.protocols.smpp.constants import CommandStatus as S
from hongyan.protocols.smpp.receipt import DeliveryReceipt, format_date, format_receipt
from hongyan.simulator.carrier import CarrierSimulator, StatNames
from hongyan.simulator.connection import SmscConnection


class MessageIdFormat(Enum):
    HEX = "hex"
    DECIMAL = "decimal"
    UUID = "uuid"


@dataclass(frozen=True)
class OutcomeMix:
    """Relative weights of receipt outcomes."""

    delivered: float = 1.0
    undeliverable: float = 0.0
    expired: float = 0.0

    def pick(self, rng: random.Random) -> tuple[str, MessageState, str]:
        weights = (self.delivered, self.undeliverable, self.expired)
        choice = rng.choices(_OUTCOMES, weights)[0] if sum(weights) > 0 else _OUTCOMES[0]
        return choice


_OUTCOMES = (
    ("DELIVRD", MessageState.DELIVERED, "000"),
    ("UNDELIV", MessageState.UNDELIVERABLE, "001"),
    ("EXPIRED", MessageState.EXPIRED, "000"),
)


@dataclass
class SimulatorStats:
    binds_active: int = 0
    binds_peak: int = 0
    binds_rejected: int = 0
    submit_sm: int = 0  # received
    submit_sm_ok: int = 0
    segments: int = 0  # accepted submit_sm carrying a concatenation UDH
    throttled: int = 0
    failed: int = 0
    receipts_sent: int = 0
    mo_sent: int = 0  # inbound deliver_sm sent
    deliver_sm_acknowledged: int = 0
    deliver_sm_refused: int = 0
    connections_dropped: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class SmscSimulator(CarrierSimulator[SmscConnection, p.DeliverSm]):
    PROTOCOL = "smpp"
    STATS = StatNames(
        active="binds_active",
        peak="binds_peak",
        rejected="binds_rejected",
        refused_submits="throttled",
        acknowledged="deliver_sm_acknowledged",
        refused="deliver_sm_refused",
        receipts="receipts_sent",
    )

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        control_port: int | None = None,
        credentials: Mapping[str, str] | None = None,
        dlr_delay: float = 0.0,
        outcomes: OutcomeMix = OutcomeMix(),
        max_binds: int | None = None,
        message_id_format: MessageIdFormat = MessageIdFormat.HEX,
        receipt_tlvs: bool = True,
        redeliver_delay: float = 1.0,
        seed: int | None = None,
    ) -> None:
        super().__init__(
            host=host,
            port=port,
            control_port=control_port,
            redeliver_delay=redeliver_delay,
            seed=seed,
        )
        self.credentials = dict(credentials) if credentials is not None else None
        self.dlr_delay = dlr_delay
        self.outcomes = outcomes
        self.max_binds = max_binds
        self.message_id_format = message_id_format
        self.receipt_tlvs = receipt_tlvs
        self.stats: SimulatorStats = SimulatorStats()
        self._next_id = 0x10000

    def _new_connection(self) -> SmscConnection:
        return SmscConnection(self)

    def _is_receipt(self, pdu: p.DeliverSm) -> bool:
        return bool(pdu.esm_class & ESM_CLASS_RECEIPT)

    # --- controls -------------------------------------------------------------------------

    def throttle(self, count: int = 0, fraction: float = 0.0) -> None:
        """Answer ESME_RTHROTTLED to the next ``count`` submits, and to ``fraction`` after."""
        self.refuse_submits(count, fraction)

    def fail_destinations(self, prefix: str, status: S = S.ESME_RINVDSTADR) -> None:
        self._fail_prefixes[prefix] = status

    def enquire_all(self) -> None:
        for conn in self.connections:
            if conn.session.state.value.startswith("bound"):
                conn.enquire()

    def inject_mo(
        self, source: str, destination: str, text: str, system_id: str | None = None
    ) -> int:
        """Send ``text`` to a bound receiver as inbound deliver_sm (concatenated when long)."""
        alphabet = segments.alphabet_of(text)
        coding = 0 if alphabet is segments.Alphabet.GSM7 else 8
        bodies = segment_bodies(segments.split(text, alphabet), coding, self._rng.randrange(256))
        pdus = [
            p.DeliverSm(
                source_addr=source,
                destination_addr=destination,
                esm_class=body.esm_class,
                data_coding=body.data_coding,
                short_message=body.short_message,
            )
            for body in bodies
        ]
        return self._inject(system_id, pdus)

    # --- called by connections ------------------------------------------------------------

    def authorize_bind(self, bind: p.Bind) -> S:
        if self.credentials is not None:
            if bind.system_id not in self.credentials:
                return self._refuse_bind(S.ESME_RINVSYSID)
            if self.credentials[bind.system_id] != bind.password:
                return self._refuse_bind(S.ESME_RINVPASWD)
        if self._full(bind.system_id, self.max_binds):
            return self._refuse_bind(S.ESME_RBINDFAIL)
        return S.ESME_ROK

    def _refuse_bind(self, status: S) -> S:
        self._reject()
        return status

    def submit(self, conn: SmscConnection, pdu: p.SubmitSm) -> p.SubmitSmResp:
        self.stats.submit_sm += 1
        refusal = self._submit_refusal((pdu.destination_addr,))
        if refusal is not None:
            self.touch()
            status = S(refusal) if refusal else S.ESME_RTHROTTLED
            return p.SubmitSmResp(sequence_number=pdu.sequence_number, command_status=status)
        self.stats.submit_sm_ok += 1
        if pdu.esm_class & 0x40:
            self.stats.segments += 1
        message_id = self._message_id()
        if pdu.registered_delivery & 0x03:
            self._schedule_receipt(conn.system_id, message_id, pdu)
        self.touch()
        return p.SubmitSmResp(sequence_number=pdu.sequence_number, message_id=message_id)

    def _message_id(self) -> str:
        self._next_id += 1
        if self.message_id_format is MessageIdFormat.DECIMAL:
            return str(self._next_id)
        if self.message_id_format is MessageIdFormat.UUID:
            return uuid.UUID(int=self._rng.getrandbits(128)).hex
        return format(self._next_id, "X")

    # --- receipts -------------------------------------------------------------------------

    def _schedule_receipt(self, system_id: str, message_id: str, pdu: p.SubmitSm) -> None:
        stat, state, err = self.outcomes.pick(self._rng)
        now = format_date(datetime.now(UTC))
        text = format_receipt(
            DeliveryReceipt(
                message_id,
                stat,
                err,
                "001",
                "001" if state is MessageState.DELIVERED else "000",
                now,
                now,
                pdu.short_message[:20].decode("latin-1"),
            )
        )
        tlvs: tuple[p.Tlv, ...] = ()
        if self.receipt_tlvs:
            tlvs = (
                p.Tlv.cstring(Tag.RECEIPTED_MESSAGE_ID, message_id),
                p.Tlv.integer(Tag.MESSAGE_STATE, state, 1),
            )
        receipt = p.DeliverSm(
            source_addr=pdu.destination_addr,
            destination_addr=pdu.source_addr,
            esm_class=ESM_CLASS_RECEIPT,
            short_message=text.encode("latin-1")[:254],
            tlvs=tlvs,
        )
        self._receipt_after(self.dlr_delay, system_id, receipt)
