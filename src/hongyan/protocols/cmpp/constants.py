"""CMPP numbers: versions, command ids, and the result codes of CONNECT, SUBMIT and DELIVER.

Names follow the CMPP 2.0 specification (Chinese names in the comments); 3.0 keeps the same
command ids and result codes, and widens some fields (see ``codec.LAYOUTS``).
"""

from __future__ import annotations

from enum import IntEnum

VERSION_2_0 = 0x20
VERSION_3_0 = 0x30
RESPONSE_BIT = 0x80000000
HEADER_LENGTH = 12  # Total_Length, Command_Id, Sequence_Id


class CommandId(IntEnum):
    CMPP_CONNECT = 0x00000001
    CMPP_CONNECT_RESP = 0x80000001
    CMPP_TERMINATE = 0x00000002
    CMPP_TERMINATE_RESP = 0x80000002
    CMPP_SUBMIT = 0x00000004
    CMPP_SUBMIT_RESP = 0x80000004
    CMPP_DELIVER = 0x00000005
    CMPP_DELIVER_RESP = 0x80000005
    CMPP_ACTIVE_TEST = 0x00000008
    CMPP_ACTIVE_TEST_RESP = 0x80000008


class ConnectStatus(IntEnum):
    """CMPP_CONNECT_RESP Status."""

    OK = 0  # 正确
    STRUCTURE_ERROR = 1  # 消息结构错
    INVALID_SOURCE_ADDR = 2  # 非法源地址
    AUTHENTICATION_ERROR = 3  # 认证错
    VERSION_TOO_HIGH = 4  # 版本太高
    OTHER_ERROR = 5  # 其他错误


class Result(IntEnum):
    """CMPP_SUBMIT_RESP and CMPP_DELIVER_RESP Result (9 and above: other errors)."""

    OK = 0  # 正确
    STRUCTURE_ERROR = 1  # 消息结构错
    COMMAND_ERROR = 2  # 命令字错
    DUPLICATE_SEQUENCE = 3  # 消息序号重复
    LENGTH_ERROR = 4  # 消息长度错
    FEE_CODE_ERROR = 5  # 资费代码错
    TOO_LONG = 6  # 超过最大信息长
    SERVICE_ID_ERROR = 7  # 业务代码错
    FLOW_CONTROL = 8  # 流量控制错
    OTHER_ERROR = 9  # 其他错误 (9~)


def result_name(result: int) -> str:
    """``FLOW_CONTROL`` for 8; ``RESULT_42`` for a code the spec does not name."""
    try:
        return Result(result).name
    except ValueError:
        return f"RESULT_{result}"


class MsgFmt(IntEnum):
    """Msg_Fmt: how Msg_Content is encoded."""

    ASCII = 0
    WRITE_CARD = 3  # 写卡操作
    BINARY = 4
    UCS2 = 8
    GBK = 15  # 含GB汉字


# Registered_Delivery of a CMPP_DELIVER: 0 a mobile-originated message, 1 a status report.
DELIVER_MO = 0
DELIVER_STATUS_REPORT = 1
