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
        # messages
        "messages.title": ("短信记录", "Messages"),
        "messages.id": ("编号", "ID"),
        "messages.created": ("提交时间", "Sent at"),
        "messages.recipient": ("接收号码", "Recipient"),
        "messages.text": ("内容", "Text"),
        "messages.state": ("状态", "Status"),
        "messages.segments": ("条数", "Segments"),
        "messages.ref": ("客户端编号", "Client ref"),
        "messages.none_yet": ("还没有短信记录", "No messages yet"),
        "messages.none_yet_hint": (
            "通过 HTTP 接口发送的每条短信都会出现在这里。",
            "Every message you send through the HTTP API shows here.",
        ),
        "messages.none_found": ("没有符合条件的短信", "No message matches"),
        "messages.none_found_hint": ("请放宽搜索条件再试。", "Try a wider search."),
        # one message
        "message.title": ("短信 #{id}", "Message #{id}"),
        "message.back": ("← 返回短信记录", "← Back to messages"),
        "message.source": ("发送号码", "Sender"),
        "message.price": ("扣费 {price} 条", "charged {price}"),
        "message.due": ("计划发送", "Due at"),
        "message.expires": ("有效期至", "Valid until"),
        "message.done": ("完成时间", "Finished at"),
        "message.attempts": ("提交重试次数", "Submit retries"),
        "message.dialect": ("接口", "API"),
        "message.segments": ("分段与状态报告", "Segments and receipts"),
        "message.channel": ("通道", "Channel"),
        "message.carrier_id": ("运营商编号", "Carrier id"),
        "message.receipt": ("状态报告", "Receipt"),
        "message.error_code": ("错误码", "Error code"),
        "message.receipt_at": ("报告时间", "Receipt time"),
        "message.no_receipt": ("等待中", "waiting"),
        "message.no_segments": ("尚未提交到运营商", "Not submitted to a carrier yet"),
        "message.no_segments_hint": (
            "提交成功后，每个分段的运营商编号和状态报告会显示在这里。",
            "Once submitted, each segment's carrier id and receipt show here.",
        ),
        "message.pushes": ("状态推送", "Status pushes"),
        "message.push_state": ("推送状态", "State"),
        "message.push_attempts": ("失败次数", "Failed tries"),
        "push.pending": ("待推送", "pending"),
        "push.delivered": ("已推送", "delivered"),
        "push.abandoned": ("已放弃", "abandoned"),
        "message.push_error": ("最近错误", "Last error"),
        "message.push_created": ("创建时间", "Created"),
        "message.push_next": ("下次尝试", "Next attempt"),
        "message.push_done": ("完成时间", "Done"),
        "message.no_pushes": ("没有状态推送", "No pushes"),
        "message.no_pushes_hint": (
            "设置了状态报告地址后，每条短信的最终状态都会推送给您。",
            "With a report URL set, each message's final status is pushed to you.",
        ),
        # inbound
        "inbound.title": ("上行短信", "Inbound messages"),
        "inbound.received": ("接收时间", "Received"),
        "inbound.source": ("发送号码", "From"),
        "inbound.destination": ("接收号码", "To"),
        "inbound.extension": ("扩展号", "Extension"),
        "inbound.read": ("已取走", "Fetched"),
        "inbound.none": ("还没有上行短信", "No inbound messages yet"),
        "inbound.none_hint": (
            "用户回复到您的特服号时，短信会显示在这里。",
            "Replies to your service code show here.",
        ),
        # push settings
        "settings.title": ("推送设置", "Push settings"),
        "settings.urls": ("推送地址", "Push URLs"),
        "settings.urls_hint": (
            "平台会把状态报告和上行短信以 POST 方式推送到这些地址"
            "（留空则不推送，可用接口主动获取）。",
            "Status reports and inbound messages are POSTed to these URLs"
            " (leave empty to pull them through the API instead).",
        ),
        "settings.report_url": ("状态报告地址", "Status report URL"),
        "settings.inbound_url": ("上行短信地址", "Inbound message URL"),
        "settings.url_invalid": (
            "请输入以 http:// 或 https:// 开头的完整网址。",
            "Enter a full URL starting with http:// or https://.",
        ),
        "settings.url_too_long": ("网址不能超过 500 个字符。", "A URL has at most 500 characters."),
        "settings.url_missing": ("请先填写网址。", "Enter a URL first."),
        "settings.saved": ("推送地址已保存。", "Push URLs saved."),
        "settings.test_push": ("发送测试推送", "Send a test push"),
        "settings.test_sending": ("正在发送…", "Sending…"),
        "settings.test_hint": (
            "向输入框中的地址发送一条示例推送（带签名和 X-Hongyan-Test: 1 头）。",
            "POSTs a sample push, signed, with X-Hongyan-Test: 1, to the URL in the box.",
        ),
        "settings.test_answered": ("对方返回 HTTP {status}", "Your server answered HTTP {status}"),
        "settings.test_not_2xx": (
            "只有 2xx 应答才算推送成功，其他应答平台会稍后重试。",
            "Only a 2xx answer counts as received; anything else is retried later.",
        ),
        "settings.test_no_answer": ("没有收到应答：", "No answer:"),
        "settings.test_empty_body": ("（应答内容为空）", "(empty answer)"),
        "settings.secret": ("推送签名密钥", "Push signing secret"),
        "settings.secret_intro": (
            "每条推送都带有 X-Hongyan-Signature 头："
            "用此密钥对请求体计算的 HMAC-SHA256（十六进制）。",
            "Every push carries X-Hongyan-Signature: the HMAC-SHA256 (hex) of the body"
            " under this secret.",
        ),
        "settings.reveal": ("显示密钥", "Reveal"),
        "settings.rotate": ("更换密钥", "Rotate"),
        "settings.rotate_confirm": (
            "更换后，之后的推送都用新密钥签名，旧密钥立即失效。确定更换吗？",
            "Pushes will be signed with a new secret from now on; the old one stops working."
            " Rotate?",
        ),
        "settings.secret_rotated": (
            "已更换：之后的推送都用下面的新密钥签名。",
            "Rotated: pushes from now on are signed with the secret below.",
        ),
        "settings.secret_hint": (
            "请妥善保存，不要写进网页或发给他人。",
            "Keep it on your servers; never put it in a web page or share it.",
        ),
        "settings.networks": ("允许的来源 IP", "Allowed client addresses"),
        "settings.networks_any": ("不限（任何地址都可以调用接口）", "Anywhere (no restriction)"),
        "settings.networks_hint": (
            "只有这些地址可以调用短信接口。如需修改，请联系平台管理员。",
            "Only these addresses may call the SMS APIs. Ask the operator to change them.",
        ),
        # API keys
        "keys.title": ("API 密钥", "API keys"),
        "keys.intro": (
            "REST 接口（/api/v1）使用 API 密钥认证。每个系统建议使用单独的密钥，便于单独吊销。",
            "The REST API (/api/v1) authenticates with API keys. Give each system its own key,"
            " so it can be revoked alone.",
        ),
        "keys.create": ("新建密钥", "New key"),
        "keys.label": ("用途说明", "Label"),
        "keys.label_placeholder": ("例如：订单系统", "e.g. order system"),
        "keys.create_button": ("创建", "Create"),
        "keys.bad_label": (
            "请填写用途说明（最多 {n} 个字符）。",
            "Give the key a label (at most {n} characters).",
        ),
        "keys.too_many": (
            "有效密钥已达上限，请先吊销不用的密钥。",
            "Too many live keys; revoke ones you no longer use first.",
        ),
        "keys.created": ("密钥已创建。", "Key created."),
        "keys.issued": ("新密钥（只显示这一次）", "Your new key (shown this once)"),
        "keys.issued_hint": (
            "请立即复制保存。平台只保存其摘要，之后无法再次查看。",
            "Copy it now. Only its digest is kept; it cannot be shown again.",
        ),
        "keys.list": ("全部密钥", "All keys"),
        "keys.prefix": ("密钥前缀", "Key prefix"),
        "keys.created_at": ("创建时间", "Created"),
        "keys.last_used": ("最近使用", "Last used"),
        "keys.state": ("状态", "Status"),
        "keys.live": ("有效", "live"),
        "keys.revoked_at": ("已吊销 {at}", "revoked {at}"),
        "keys.revoke": ("吊销", "Revoke"),
        "keys.revoked": (
            "密钥已吊销，使用它的请求将被拒绝。",
            "Key revoked; requests using it are refused.",
        ),
        "keys.none": ("还没有 API 密钥", "No API keys yet"),
        "keys.none_hint": (
            "使用 REST 接口前，请先创建一个密钥。",
            "Create one to use the REST API.",
        ),
        # password
        "password.title": ("修改密码", "Change password"),
        "password.intro": (
            "密码同时用于本平台登录和 HTTP 接口。修改后，其他已登录的浏览器会自动退出，"
            "使用旧密码的接口调用会被拒绝。",
            "This password signs in here and authenticates the HTTP APIs. Changing it signs out"
            " every other browser, and API calls with the old one are refused.",
        ),
        "password.old": ("当前密码", "Current password"),
        "password.new": ("新密码", "New password"),
        "password.again": ("再次输入新密码", "New password again"),
        "password.submit": ("修改密码", "Change password"),
        "password.wrong_old": ("当前密码不正确。", "The current password is wrong."),
        "password.too_short": ("新密码至少 {n} 个字符。", "Use at least {n} characters."),
        "password.too_long": ("新密码太长。", "That password is too long."),
        "password.mismatch": ("两次输入的新密码不一致。", "The two new passwords differ."),
        "password.changed": (
            "密码已修改，其他浏览器已退出登录。请同步更新接口调用中的密码。",
            "Password changed; other browsers are signed out. Update it in your API clients.",
        ),
    }
)
