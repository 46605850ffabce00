"""Labels both faces use (Chinese, English); each face adds its own catalog to these."""

from __future__ import annotations

from hongyan.admin.i18n import Catalog
from hongyan.core.messages import MessageState

_STATES: dict[MessageState, tuple[str, str]] = {
    MessageState.ACCEPTED: ("已接收", "accepted"),
    MessageState.QUEUED: ("排队中", "queued"),
    MessageState.SUBMITTING: ("提交中", "submitting"),
    MessageState.SUBMITTED: ("已提交", "submitted"),
    MessageState.DELIVERED: ("已送达", "delivered"),
    MessageState.UNDELIVERABLE: ("未送达", "undeliverable"),
    MessageState.EXPIRED: ("已过期", "expired"),
    MessageState.REJECTED: ("已拒绝", "rejected"),
    MessageState.FAILED: ("发送失败", "failed"),
    MessageState.CANCELLED: ("已取消", "cancelled"),
}

COMMON = Catalog(
    {
        "app.name": ("鸿雁", "Hongyan"),
        "nav.main": ("主导航", "Main navigation"),
        "nav.signout": ("退出登录", "Sign out"),
        "footer.timezone": ("时间均为 {tz} 时区", "Times are in {tz}"),
        "signin.title": ("登录", "Sign in"),
        "signin.name": ("用户名", "Name"),
        "signin.password": ("密码", "Password"),
        "signin.submit": ("登录", "Sign in"),
        "signin.wrong": ("用户名或密码错误。", "Wrong name or password."),
        "signin.throttled": (
            "登录失败次数过多，请 {minutes} 分钟后再试。",
            "Too many failed sign-ins. Try again in {minutes} minutes.",
        ),
        "signin.disabled": (
            "该账号已停用，请联系平台管理员。",
            "This account is disabled. Please contact the platform operator.",
        ),
        "error.title": ("出错了", "Something went wrong"),
        "error.back": ("返回首页", "Back to the start page"),
        "error.csrf": (
            "表单已过期或并非来自本站，请刷新页面后重试。",
            "This form has expired or did not come from this site. Reload the page and try again.",
        ),
        "error.not_found": ("页面不存在，或您无权查看。", "Not found, or not yours to see."),
        "error.internal": (
            "服务器出错，已记录。请稍后再试。",
            "Something failed on our side and has been logged. Please try again later.",
        ),
        "pager.label": ("分页", "Pages"),
        "pager.newer": ("← 较新", "← Newer"),
        "pager.older": ("较早 →", "Older →"),
        "pager.first": ("回到最新", "Back to newest"),
        "pager.page": ("第 {n} 页", "Page {n}"),
        "action.search": ("搜索", "Search"),
        "action.reset": ("清除条件", "Clear"),
        "action.save": ("保存", "Save"),
        "action.cancel": ("取消", "Cancel"),
        "common.none": ("无", "none"),
        "common.yes": ("是", "yes"),
        "common.no": ("否", "no"),
        "common.all": ("全部", "All"),
        **{f"state.{state.value}": pair for state, pair in _STATES.items()},
        "state.pending": ("待推送", "pending"),
        "state.abandoned": ("已放弃", "abandoned"),
    }
)
