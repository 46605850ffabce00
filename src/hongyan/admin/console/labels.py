"""The operator console's labels (Chinese, English): navigation, forms, accounts, audit
actions; the other pages' labels are in ``labels_pages``."""

from __future__ import annotations

from hongyan.admin.console.labels_pages import PAGES
from hongyan.admin.i18n import Catalog

_ACTIONS = {  # audit log actions: what each recorded verb means
    "account.create": ("创建账号", "created the account"),
    "account.update": ("修改账号设置", "changed the account's settings"),
    "account.topup": ("调整余额", "adjusted the balance"),
    "account.stop": ("停用账号", "stopped the account"),
    "account.resume": ("恢复账号", "resumed the account"),
    "account.password": ("重设账号密码", "set a new account password"),
    "channel.pause": ("暂停通道", "paused the channel"),
    "channel.resume": ("恢复通道", "resumed the channel"),
    "blacklist.add": ("加入黑名单", "added to the blacklist"),
    "blacklist.remove": ("移出黑名单", "removed from the blacklist"),
    "banned-words.add": ("添加屏蔽词", "added banned words"),
    "banned-words.remove": ("删除屏蔽词", "removed banned words"),
    "operator.create": ("创建操作员", "created the operator"),
    "operator.password": ("重设操作员密码", "set a new operator password"),
    "operator.enable": ("启用操作员", "enabled the operator"),
    "operator.disable": ("停用操作员", "disabled the operator"),
}

CONSOLE = Catalog(
    {
        "console.title": ("运营控制台", "Operator console"),
        "nav.accounts": ("账号", "Accounts"),
        "nav.channels": ("通道与路由", "Channels & routes"),
        "nav.messages": ("短信查询", "Messages"),
        "nav.lists": ("黑名单与屏蔽词", "Blacklist & words"),
        "nav.charts": ("统计图表", "Charts"),
        "nav.audit": ("操作日志", "Audit log"),
        # form checks
        "form.bad_url": (
            "请填写 http:// 或 https:// 开头的网址。",
            "Use an http:// or https:// URL.",
        ),
        "form.bad_digits": ("只能填写数字，最多 20 位。", "Digits only, at most 20."),
        "form.bad_count": (
            "请填写 0 到 {maximum} 之间的整数。",
            "Use a whole number from 0 to {maximum}.",
        ),
        "form.short_password": ("密码至少 {n} 个字符。", "Use at least {n} characters."),
        "form.passwords_differ": ("两次输入的密码不一致。", "The two passwords differ."),
        "form.bad_name": (
            "账号名只能包含字母、数字和 _ . @ -，最长 64 个字符。",
            "Use 1–64 letters, digits, _ . @ or -.",
        ),
        "form.name_taken": ("该账号名已被使用。", "An account with this name exists."),
        "form.bad_networks": (
            "请每行填写一个 IP 网段，例如 203.0.113.0/24。",
            "One IP network per line, like 203.0.113.0/24.",
        ),
        "form.bad_extensions": (
            "扩展号只能是数字，最多 12 位。",
            "Extensions are up to 12 digits.",
        ),
        "form.bad_amount": (
            "请填写非零整数（负数为扣减），绝对值不超过 {maximum}。",
            "Use a non-zero whole number (negative takes back), at most {maximum}.",
        ),
        "form.note_required": (
            "请填写备注，它会记入账单流水和操作日志。",
            "Write a note: the ledger and the audit log keep it.",
        ),
        "form.below_zero": (
            "余额不足以扣减（当前余额 {balance}）。",
            "The balance ({balance}) cannot go below zero.",
        ),
        # notices after a change
        "notice.created": ("账号已创建。", "Account created."),
        "notice.saved": ("设置已保存。", "Settings saved."),
        "notice.topped_up": ("余额已调整。", "Balance adjusted."),
        "notice.stopped": (
            "账号已停用，接口请求将被拒绝。",
            "Account stopped: its API calls are refused.",
        ),
        "notice.resumed": ("已恢复。", "Resumed."),
        "notice.password": (
            "新密码已生效，请通过安全渠道告知客户。",
            "The new password is in effect. Tell the partner through a safe channel.",
        ),
        "notice.paused": (
            "通道已暂停，几秒内生效，之后的短信将排队等待。",
            "Channel paused: within seconds, messages for it wait in the queue.",
        ),
        "notice.added": ("已添加。", "Added."),
        "notice.removed": ("已删除。", "Removed."),
        # accounts
        "accounts.title": ("账号", "Accounts"),
        "accounts.search": ("按账号名或签名查找", "Find by name or signature"),
        "accounts.new": ("新建账号", "New account"),
        "accounts.create": ("创建账号", "Create account"),
        "accounts.name": ("账号名", "Name"),
        "accounts.name_hint": (
            "客户调用接口时使用，创建后不可修改。",
            "What the partner's API calls use; it cannot change later.",
        ),
        "accounts.balance": ("余额（条）", "Balance (segments)"),
        "accounts.balance_hint": ("初始余额，可留空。", "Starting balance; may be left empty."),
        "accounts.password": ("密码", "Password"),
        "accounts.password2": ("再次输入密码", "Password again"),
        "accounts.new_password": ("新密码", "New password"),
        "accounts.service_code": ("特服号", "Service code"),
        "accounts.service_code_hint": (
            "短信的发送号码，回复按它找到账号。",
            "The messages' source number; replies find the account by it.",
        ),
        "accounts.short_name": ("签名", "Signature"),
        "accounts.report_url": ("状态报告推送地址", "Report URL"),
        "accounts.inbound_url": ("上行短信推送地址", "Inbound URL"),
        "accounts.url_hint": ("留空则不推送。", "Leave empty for no pushes."),
        "accounts.state": ("状态", "State"),
        "accounts.active": ("正常", "active"),
        "accounts.stopped": ("已停用", "stopped"),
        "accounts.none_found": ("没有匹配的账号", "No matching accounts"),
        "accounts.none_found_hint": ("换个关键词试试。", "Try another word."),
        "accounts.empty": ("还没有账号", "No accounts yet"),
        "accounts.empty_hint": (
            "点击上方“新建账号”为第一个客户开户。",
            "Use “New account” above to open the first one.",
        ),
        "accounts.its_messages": ("查看其短信", "Its messages"),
        "accounts.tps": ("每秒请求数上限", "Requests per second"),
        "accounts.tps_hint": ("0 表示不限。", "0 = no limit."),
        "accounts.unlimited": ("不限", "no limit"),
        "accounts.topup": ("充值 / 扣减", "Top up"),
        "accounts.amount": ("条数", "Segments"),
        "accounts.amount_hint": ("负数表示扣减。", "A negative number takes back."),
        "accounts.note": ("备注", "Note"),
        "accounts.note_hint": ("例如合同号或发票号。", "For example an invoice number."),
        "accounts.topup_submit": ("调整余额", "Adjust balance"),
        "accounts.stop_explained": (
            "停用后该账号的所有接口请求都会被拒绝；已排队的短信仍会发出。",
            "A stopped account's API calls are all refused; messages already queued still go.",
        ),
        "accounts.stop": ("停用账号", "Stop account"),
        "accounts.resume_explained": (
            "该账号已停用，接口请求会被拒绝。",
            "This account is stopped: its API calls are refused.",
        ),
        "accounts.resume": ("恢复账号", "Resume account"),
        "accounts.reset_password": ("重设密码", "Reset password"),
        "accounts.set_password": ("设置新密码", "Set new password"),
        "accounts.settings": ("设置与限额", "Settings and limits"),
        "accounts.allowed_networks": ("允许的 IP 网段", "Allowed networks"),
        "accounts.allowed_networks_hint": (
            "每行一个 CIDR；留空表示不限。",
            "One CIDR per line; empty = anywhere.",
        ),
        "accounts.extensions": ("登记的扩展号", "Registered extensions"),
        "accounts.extensions_hint": (
            "以空格分隔；留空表示任意扩展号。",
            "Separated by spaces; empty = any extension.",
        ),
        "accounts.max_recipients": ("每次请求最多号码数", "Recipients per request"),
        "accounts.long_max_chars": ("长短信最多字数", "Longest message (characters)"),
        "accounts.allow_long": ("允许长短信（拆分发送）", "Allow long (concatenated) messages"),
        "accounts.history": ("最近操作", "Recent changes"),
        "accounts.all_history": ("全部记录", "All of them"),
        "accounts.no_history": ("还没有操作记录", "No changes recorded yet"),
        **{f"audit.action.{key}": pair for key, pair in _ACTIONS.items()},
    }
).merged(PAGES.labels)
