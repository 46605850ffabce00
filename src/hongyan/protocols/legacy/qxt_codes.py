"""The two 企信通 ``errid`` tables, exactly as deployed, and which row answers each `Refusal`.

The ``.aspx`` edition answers ``.aspx`` paths, the ``.asp`` edition ``.asp`` paths; the
tables disagree (6002 is a wrong account name in one and a stopped account in the other), so
each edition has its own mapping. Where a `Refusal` has no exact row we pick the nearest row
and never invent text, with one exception:

* ``.aspx`` has no "password too short" row, yet ``cpwd`` answers 6016 in both editions; the
  ``.aspx`` edition borrows the ``.asp`` row (``6016 企业密码必须大于4个字符``).
* No exact row, ``.aspx``: request-shape and platform problems (missing parameter, bad request,
  body too large, rate limited, too many failed logins, internal) answer 6080 提交异常,
  请联系服务商解决; a non-digit or unregistered extension and a bad sender answer 6021.
* No exact row, ``.asp``: the same problems answer 6007 未找到合适通道给用户发短信 (a client
  that retries it does no harm), except too many failed logins, 6010 企业用户验证失败; too many
  recipients answers 6008, a bad schedule 6007, an extension too long 6021.
"""

from __future__ import annotations

from enum import Enum

from hongyan.protocols.refusals import Refusal

__all__ = ["ASPX_TABLE", "ASP_TABLE", "OK", "SEND_OK", "Edition", "error_row"]


class Edition(Enum):
    ASP = "asp"
    ASPX = "aspx"


SEND_OK = "发送成功"  # err of a successful send
OK = "成功"  # err of every other successful call

ASPX_TABLE: dict[int, str] = {
    6002: "用户帐号不正确",
    6008: "无效的手机号码",
    6009: "手机号码是黑名单",
    6010: "用户密码不正确",
    6011: "短信内容超过了最大长度限制",
    6012: "该企业用户设置了ip限制",
    6013: "该企业用户余额不足",
    6014: "发送短信内容不能为空",
    6015: "发送内容中含非法字符",
    6019: "账户已停机,请联系客服",
    6021: "扩展号码未备案",
    6023: "发送手机号码超过太长,已超过300个号码",
    6024: "定时时间不正确",
    6025: "扩展号码太长(总长度超过20位)",
    6080: "提交异常,请联系服务商解决",
}

ASP_TABLE: dict[int, str] = {
    6001: "该企业用户无效",
    6002: "此用户账号已经被停用",
    6003: "此用户密码错误",
    6004: "目标手机号码在保护名单内",
    6005: "发送内容中含非法字符",
    6006: "发送通道不能对用户代收费",
    6007: "未找到合适通道给用户发短信",
    6008: "无效的手机号码",
    6009: "手机号码是黑名单",
    6010: "企业用户验证失败",
    6011: "企业不具备发送此号码的权限",
    6012: "该企业用户设置了ip限制",
    6013: "该企业用户余额不足",
    6014: "发送短信内容不能为空",
    6015: "短信内容超过了最大长度限制",
    6016: "企业密码必须大于4个字符",
    6017: "查询企业用户余额失败",
    6018: "用户没有开通SDK功能或测试已过期",
    6019: "此接口已经停止使用",
    6020: "此接口为vip客户专用接口",
    6021: "扩展号码未备案",
}

# Rows an edition answers although its public table lacks them (see the module docstring).
_ASPX_BORROWED: dict[int, str] = {6016: ASP_TABLE[6016]}

# Refusal → (aspx errid, asp errid). Every Refusal has a row (a test checks).
_ERRIDS: dict[Refusal, tuple[int, int]] = {
    Refusal.UNKNOWN_ACCOUNT: (6002, 6001),
    Refusal.BAD_PASSWORD: (6010, 6003),
    Refusal.ACCOUNT_STOPPED: (6019, 6002),
    Refusal.IP_NOT_ALLOWED: (6012, 6012),
    Refusal.TOO_MANY_ATTEMPTS: (6080, 6010),
    Refusal.MISSING_PARAMETER: (6080, 6007),
    Refusal.BAD_REQUEST: (6080, 6007),
    Refusal.BODY_TOO_LARGE: (6080, 6007),
    Refusal.EMPTY_CONTENT: (6014, 6014),
    Refusal.CONTENT_TOO_LONG: (6011, 6015),
    Refusal.BANNED_WORD: (6015, 6005),
    Refusal.NO_RECIPIENTS: (6008, 6008),
    Refusal.TOO_MANY_RECIPIENTS: (6023, 6008),
    Refusal.INVALID_NUMBER: (6008, 6008),
    Refusal.BLACKLISTED: (6009, 6009),
    Refusal.INSUFFICIENT_BALANCE: (6013, 6013),
    Refusal.BAD_SCHEDULE: (6024, 6007),
    Refusal.EXTENSION_NOT_REGISTERED: (6021, 6021),
    Refusal.EXTENSION_TOO_LONG: (6025, 6021),
    Refusal.BAD_EXTENSION: (6021, 6021),
    Refusal.BAD_SENDER: (6021, 6021),
    Refusal.PASSWORD_TOO_SHORT: (6016, 6016),
    Refusal.RATE_LIMITED: (6080, 6007),
    Refusal.INTERNAL: (6080, 6007),
}


def error_row(edition: Edition, refusal: Refusal) -> tuple[int, str]:
    """(errid, err) that ``edition`` answers for ``refusal``."""
    aspx, asp = _ERRIDS[refusal]
    if edition is Edition.ASPX:
        return aspx, ASPX_TABLE.get(aspx) or _ASPX_BORROWED[aspx]
    return asp, ASP_TABLE[asp]
