"""The CMPP PDUs an SP and an ISMG exchange, as frozen dataclasses (header + body fields).

Octet-string fields are decoded as Latin-1 with their NUL padding removed (so any byte
survives a round trip); ``msg_content`` stays bytes because its meaning depends on
``msg_fmt``. ``msg_id`` is the 8-octet Msg_Id as an unsigned integer. The status report a
CMPP_DELIVER carries in its Msg_Content when Registered_Delivery is 1 is ``StatusReport``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from hongyan.protocols.cmpp.constants import VERSION_2_0, CommandId

RESERVE = b"\0" * 8


@dataclass(frozen=True, slots=True, kw_only=True)
class Pdu:
    command_id: ClassVar[CommandId]
    sequence_id: int = 0

    @property
    def is_response(self) -> bool:
        return bool(self.command_id & 0x80000000)


@dataclass(frozen=True, slots=True, kw_only=True)
class Connect(Pdu):
    command_id = CommandId.CMPP_CONNECT
    source_addr: str = ""  # the SP's id (企业代码)
    authenticator_source: bytes = b"\0" * 16
    version: int = VERSION_2_0
    timestamp: int = 0  # MMDDHHMMSS as a decimal number


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectResp(Pdu):
    command_id = CommandId.CMPP_CONNECT_RESP
    status: int = 0
    authenticator_ismg: bytes = b"\0" * 16
    version: int = VERSION_2_0


@dataclass(frozen=True, slots=True, kw_only=True)
class Terminate(Pdu):
    command_id = CommandId.CMPP_TERMINATE


@dataclass(frozen=True, slots=True, kw_only=True)
class TerminateResp(Pdu):
    command_id = CommandId.CMPP_TERMINATE_RESP


@dataclass(frozen=True, slots=True, kw_only=True)
class ActiveTest(Pdu):
    command_id = CommandId.CMPP_ACTIVE_TEST


@dataclass(frozen=True, slots=True, kw_only=True)
class ActiveTestResp(Pdu):
    command_id = CommandId.CMPP_ACTIVE_TEST_RESP
    reserved: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Submit(Pdu):
    command_id = CommandId.CMPP_SUBMIT
    msg_id: int = 0  # filled in by the ISMG
    pk_total: int = 1
    pk_number: int = 1
    registered_delivery: int = 0
    msg_level: int = 0
    service_id: str = ""
    fee_user_type: int = 0
    fee_terminal_id: str = ""
    tp_pid: int = 0
    tp_udhi: int = 0
    msg_fmt: int = 0
    msg_src: str = ""  # the SP's id
    fee_type: str = "01"  # 01: free
    fee_code: str = ""
    valid_time: str = ""
    at_time: str = ""
    src_id: str = ""  # the SP's access number (+ extension): the handset sees it as sender
    dest_terminal_ids: tuple[str, ...] = ()
    msg_content: bytes = b""
    reserve: bytes = RESERVE


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmitResp(Pdu):
    command_id = CommandId.CMPP_SUBMIT_RESP
    msg_id: int = 0
    result: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Deliver(Pdu):
    command_id = CommandId.CMPP_DELIVER
    msg_id: int = 0
    dest_id: str = ""  # the SP's access number the handset wrote to
    service_id: str = ""
    tp_pid: int = 0
    tp_udhi: int = 0
    msg_fmt: int = 0
    src_terminal_id: str = ""  # the handset
    registered_delivery: int = 0  # 1: msg_content is a status report
    msg_content: bytes = b""
    reserved: bytes = RESERVE


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliverResp(Pdu):
    command_id = CommandId.CMPP_DELIVER_RESP
    msg_id: int = 0
    result: int = 0


@dataclass(frozen=True, slots=True)
class StatusReport:
    """The Msg_Content of a status-report CMPP_DELIVER."""

    msg_id: int  # the Msg_Id the CMPP_SUBMIT_RESP gave
    stat: str  # DELIVRD, EXPIRED, UNDELIV, … or a gateway's own code such as MK:0005
    submit_time: str = ""  # YYMMDDHHMM
    done_time: str = ""
    dest_terminal_id: str = ""
    smsc_sequence: int = 0


RESPONSE_OF: dict[type[Pdu], type[Pdu]] = {
    Connect: ConnectResp,
    Terminate: TerminateResp,
    Submit: SubmitResp,
    Deliver: DeliverResp,
    ActiveTest: ActiveTestResp,
}
