"""The partner portal's labels (Chinese, English)."""

from __future__ import annotations

from hongyan.admin.i18n import Catalog

PORTAL = Catalog(
    {
        "portal.title": ("合作伙伴平台", "Partner portal"),
        "nav.overview": ("概览", "Overview"),
        "nav.messages": ("短信记录", "Messages"),
        "nav.inbound": ("上行短信", "Inbound"),
        "nav.settings": ("推送设置", "Push settings"),
        "nav.keys": ("API 密钥", "API keys"),
        "nav.password": ("修改密码", "Password"),
        # overview
        "overview.title": ("概览", "Overview"),
        "overview.balance": ("余额（条）", "Balance (segments)"),
        "overview.today": ("今日", "Today"),
        "overview.month": ("本月", "This month"),
        "overview.sent": ("发送", "Sent"),
        "overview.delivered": ("已送达", "Delivered"),
        "overview.failed": ("失败", "Failed"),
        "overview.pending": ("处理中", "Pending"),
        "overview.rate": ("送达率", "Delivery rate"),
        "overview.last24": ("最近 24 小时发送量（按小时）", "Sent in the last 24 hours (per hour)"),
        "overview.rate_chart": (
            "最近 24 小时送达率（已有结果的短信）",
            "Delivery rate in the last 24 hours (messages with an outcome)",
        ),
        "overview.no_traffic": ("最近 24 小时没有发送短信", "No messages in the last 24 hours"),
        "overview.no_traffic_hint": (
            "通过 HTTP 接口发送的短信会显示在这里。",
            "Messages you send through the HTTP API appear here.",
        ),
        "overview.account": ("账号信息", "Account"),
        "overview.service_code": ("特服号", "Service code"),
        "overview.short_name": ("签名", "Signature"),
        "overview.status": ("状态", "Status"),
        "overview.active": ("正常", "active"),
        "overview.stopped": ("已停用", "stopped"),
    }
)
