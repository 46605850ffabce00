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
        "figures.today": ("今日", "Today"),
        "figures.month": ("本月", "This month"),
        "figures.sent": ("发送", "Sent"),
        "figures.delivered": ("已送达", "Delivered"),
        "figures.failed": ("失败", "Failed"),
        "figures.pending": ("处理中", "Pending"),
        "figures.rate": ("送达率", "Delivery rate"),
        "figures.segments": ("计费条数", "Segments charged"),
        "figures.last24": ("最近 24 小时发送量（按小时）", "Sent in the last 24 hours (per hour)"),
        "figures.rate_chart": (
            "最近 24 小时送达率（已有结果的短信）",
            "Delivery rate in the last 24 hours (messages with an outcome)",
        ),
        "figures.no_traffic": ("最近 24 小时没有发送短信", "No messages in the last 24 hours"),
        "search.number": ("手机号码", "Phone number"),
        "search.from": ("开始日期", "From"),
        "search.to": ("结束日期", "To"),
        "search.state": ("状态", "Status"),
        "search.ref": ("客户端编号", "Client reference"),
        "search.bad_number": (
            "手机号码无法识别，已忽略该条件。",
            "That phone number cannot be read; it was left out of the search.",
        ),
        "search.bad_date": (
            "日期格式应为 YYYY-MM-DD，已忽略该条件。",
            "Dates are YYYY-MM-DD; that one was left out of the search.",
        ),
        "search.bad_state": ("未知状态，已忽略该条件。", "Unknown status; left out of the search."),
        **{f"state.{state.value}": pair for state, pair in _STATES.items()},
        "state.pending": ("待推送", "pending"),
        "state.abandoned": ("已放弃", "abandoned"),
    }
)
