"""企信通: both errid tables as deployed, and every error answer of both editions, byte for byte."""

from __future__ import annotations

import pytest

from hongyan.core.errors import Refusal
from hongyan.protocols.legacy import qxt
from hongyan.protocols.legacy.qxt_codes import ASP_TABLE, ASPX_TABLE, Edition, error_row

# Copied from docs/spec legacy-apis.md §2, not from the module.
SPEC_ASPX = {
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
SPEC_ASP = {
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

# Refusal → (aspx errid, asp errid): the decision, restated.
EXPECTED_ERRIDS = {
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


def _err(edition: Edition, refusal: Refusal) -> tuple[int, str]:
    aspx, asp = EXPECTED_ERRIDS[refusal]
    if edition is Edition.ASPX:
        return aspx, SPEC_ASPX.get(aspx) or SPEC_ASP[aspx]  # 6016 is borrowed
    return asp, SPEC_ASP[asp]


def test_tables_are_the_spec_tables() -> None:
    assert ASPX_TABLE == SPEC_ASPX
    assert ASP_TABLE == SPEC_ASP


def test_every_refusal_maps_in_both_editions() -> None:
    assert set(EXPECTED_ERRIDS) == set(Refusal)
    for refusal in Refusal:
        for edition in Edition:
            assert error_row(edition, refusal) == _err(edition, refusal)


@pytest.mark.parametrize(
    ("refusal", "aspx", "asp"),
    [
        (Refusal.UNKNOWN_ACCOUNT, "6002 用户帐号不正确", "6001 该企业用户无效"),
        (Refusal.BAD_PASSWORD, "6010 用户密码不正确", "6003 此用户密码错误"),
        (Refusal.ACCOUNT_STOPPED, "6019 账户已停机,请联系客服", "6002 此用户账号已经被停用"),
        (
            Refusal.CONTENT_TOO_LONG,
            "6011 短信内容超过了最大长度限制",
            "6015 短信内容超过了最大长度限制",
        ),
        (Refusal.BANNED_WORD, "6015 发送内容中含非法字符", "6005 发送内容中含非法字符"),
        (
            Refusal.PASSWORD_TOO_SHORT,
            "6016 企业密码必须大于4个字符",
            "6016 企业密码必须大于4个字符",
        ),
    ],
)
def test_the_editions_disagree_as_documented(refusal: Refusal, aspx: str, asp: str) -> None:
    assert "{} {}".format(*error_row(Edition.ASPX, refusal)) == aspx
    assert "{} {}".format(*error_row(Edition.ASP, refusal)) == asp


CASES = [(refusal, edition) for refusal in Refusal for edition in Edition]
IDS = [f"{refusal.value}-{edition.value}" for refusal, edition in CASES]


@pytest.mark.parametrize(("refusal", "edition"), CASES, ids=IDS)
def test_every_error_answer_of_every_shape(refusal: Refusal, edition: Edition) -> None:
    errid, err = _err(edition, refusal)
    expected = {
        "gsend": f"num=0&success=&faile=13910060001,139&err={err}&errid={errid}",
        "readsms": f"id=0&err={err}&errid={errid}",
        "readxmlsms": f"id=0&err={err}&errid={errid}",
        "readreport": f"id=0&err={err}&errid={errid}",
        "getfee": f"id=0&err={err}&errid={errid}&short=",
        "cpwd": f"err={err}&errid={errid}",
        "checkcontent": f"err={err}&errid={errid}",
    }
    for name, text in expected.items():
        for twin, charset in (("", "gbk"), ("_utf8", "utf-8")):
            endpoint = qxt.ENDPOINTS[f"/send/{name}{twin}.{edition.value}"]
            answer = qxt.format_refusal(endpoint, refusal, faile=["13910060001", "139"])
            assert answer == text.encode(charset), (name, twin)


def test_gbk_error_bytes_spelled_out() -> None:
    aspx = qxt.ENDPOINTS["/send/gsend.aspx"]
    asp = qxt.ENDPOINTS["/send/gsend.asp"]
    assert qxt.format_refusal(aspx, Refusal.BAD_PASSWORD, faile=["13910060001"]) == (
        b"num=0&success=&faile=13910060001&err=\xd3\xc3\xbb\xa7\xc3\xdc\xc2\xeb"
        b"\xb2\xbb\xd5\xfd\xc8\xb7&errid=6010"
    )
    assert qxt.format_refusal(asp, Refusal.BAD_PASSWORD, faile=["13910060001"]) == (
        b"num=0&success=&faile=13910060001&err=\xb4\xcb\xd3\xc3\xbb\xa7\xc3\xdc\xc2\xeb"
        b"\xb4\xed\xce\xf3&errid=6003"
    )
