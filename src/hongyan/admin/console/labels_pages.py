"""The console's labels for channels and routes, messages, lists, charts and the audit log."""

from __future__ import annotations

from hongyan.admin.i18n import Catalog

PAGES = Catalog(
    {
        # channels and routes
        "channels.title": ("通道与路由", "Channels and routes"),
        "channels.live": ("通道实时状态", "Channels, live"),
        "channels.name": ("通道", "Channel"),
        "channels.state": ("状态", "State"),
        "channels.binds": ("已连接 / 配置连接", "Binds up / configured"),
        "channels.window": ("窗口占用", "Window in use"),
        "channels.rate": ("每秒发送", "Sends/s"),
        "channels.queue": ("已领取未提交", "Claimed, not sent"),
        "channels.counts": ("提交 / 错误 / 限速", "Submits / errors / throttled"),
        "channels.last_error": ("最近错误", "Last error"),
        "channels.not_configured": ("不在本配置中", "not in this configuration"),
        "channels.updated": ("更新于 {when}", "updated {when}"),
        "channels.pause": ("暂停", "Pause"),
        "channels.due": ("等待发送（已到时间）", "Waiting to go (due now)"),
        "channels.oldest_due": ("最早一条等待自", "Oldest waiting since"),
        "channels.submitting": ("正在提交", "Being submitted"),
        "channels.push_backlog": ("待推送的报告", "Pushes waiting"),
        "channels.resume": ("恢复", "Resume"),
        "channels.legend": (
            "每 {every} 秒自动刷新。数据由持有连接的调度进程写入数据库，"
            "与本页面由哪个进程提供无关。暂停在几秒内生效：暂停的通道不提交任何短信，"
            "只能走该通道的短信会排队等待，恢复后继续发送。",
            "Refreshes every {every} s. The dispatchers holding the binds write these figures to"
            " the database, so they are the same whichever process serves this page. A pause takes"
            " effect within seconds: a paused channel submits nothing, and messages routed only"
            " to it wait in the queue and go once it is resumed.",
        ),
        "channels.empty": ("没有配置通道", "No channels configured"),
        "channels.empty_hint": (
            "在配置文件中添加 [[channels]]，然后重启 hongyan serve。",
            "Add [[channels]] to the configuration file and restart hongyan serve.",
        ),
        "channels.status.up": ("已连接", "bound"),
        "channels.status.partial": ("部分连接", "partly bound"),
        "channels.status.down": ("未连接", "not bound"),
        "channels.status.paused": ("已暂停", "paused"),
        "routes.title": ("路由", "Routes"),
        "routes.explained": (
            "读取自配置文件。按顺序匹配号码前缀，第一条匹配的路由生效；通道按列出的顺序故障转移。",
            "From the configuration file. The first route whose prefix matches the number wins;"
            " its channels are tried in the order listed.",
        ),
        "routes.prefix": ("号码前缀", "Prefix"),
        "routes.channels": ("通道（故障转移顺序）", "Channels (failover order)"),
        "routes.any": ("任意号码", "any number"),
        "routes.empty": ("没有配置路由", "No routes configured"),
        "routes.empty_hint": ("没有路由时短信无法发出。", "Without a route no message can go out."),
        # messages
        "messages.title": ("短信查询", "Messages"),
        "messages.account": ("账号", "Account"),
        "messages.state": ("状态", "State"),
        "messages.ref": ("客户流水号", "Client reference"),
        "messages.recipient": ("接收号码", "Recipient"),
        "messages.text": ("内容", "Text"),
        "messages.channel": ("通道", "Channel"),
        "messages.created": ("提交时间", "Accepted"),
        "messages.done": ("完成时间", "Finished"),
        "messages.no_account": (
            "没有这个账号，因此没有短信。",
            "No account has that name, so no messages match.",
        ),
        "messages.none_found": ("没有符合条件的短信", "No messages match"),
        "messages.none_found_hint": (
            "试试放宽日期或清除条件。",
            "Try a wider date range, or clear the filters.",
        ),
        "messages.empty": ("还没有短信", "No messages yet"),
        "messages.empty_hint": (
            "客户通过接口发送的短信会显示在这里。",
            "Messages partners send through the APIs appear here.",
        ),
        "message.title": ("短信 {id}", "Message {id}"),
        "message.source": ("发送号码", "Source"),
        "message.segments": ("条数", "Segments"),
        "message.price": ("扣费 {n} 条", "charged {n}"),
        "message.dialect": ("接口", "API"),
        "message.due": ("计划发送", "Due"),
        "message.expires": ("有效期至", "Expires"),
        "message.attempts": ("尝试次数", "Attempts"),
        "message.outcome": ("结果", "Outcome"),
        "message.segments_title": ("分段与回执", "Segments and receipts"),
        "message.carrier_id": ("运营商消息 ID", "Carrier id"),
        "message.receipt": ("回执", "Receipt"),
        "message.receipt_time": ("回执时间（运营商）", "Receipt time (carrier's)"),
        "message.no_receipt": ("尚无回执", "no receipt yet"),
        "message.no_segments": ("尚未提交给运营商", "Not submitted to a carrier yet"),
        "message.pushes_title": ("状态报告推送", "Report pushes"),
        "message.push_state": ("推送状态", "Push state"),
        "message.last_error": ("最近错误", "Last error"),
        "message.next_attempt": ("下次尝试", "Next attempt"),
        "message.no_pushes": ("没有推送", "No pushes"),
        "message.no_pushes_hint": (
            "账号设置了状态报告推送地址时，短信完成后会推送。",
            "A report is pushed when the message finishes, if the account has a report URL.",
        ),
        # blacklist and banned words
        "lists.title": ("黑名单与屏蔽词", "Blacklist and banned words"),
        "lists.blacklist": ("黑名单", "Blacklist"),
        "lists.words": ("屏蔽词", "Banned words"),
        "lists.scope": ("名单范围", "Which list"),
        "lists.global": ("全局（所有账号）", "Global (every account)"),
        "lists.show": ("查看", "Show"),
        "lists.scope_global": ("全局黑名单", "Global blacklist"),
        "lists.scope_account": ("{name} 的黑名单", "{name}'s blacklist"),
        "lists.remove": ("删除", "Remove"),
        "lists.add": ("添加", "Add"),
        "lists.add_to": ("加入{list}", "Add to the {list}"),
        "lists.blacklist_empty": ("名单为空", "This list is empty"),
        "lists.blacklist_empty_hint": (
            "名单中的号码不会收到任何短信。",
            "Numbers on it never get a message.",
        ),
        "lists.add_numbers": ("添加号码", "Add numbers"),
        "lists.numbers": ("号码", "Numbers"),
        "lists.numbers_hint": (
            "每行一个或以空格分隔；中国手机号可省略 86。",
            "One per line or separated by spaces; Chinese mobiles may omit 86.",
        ),
        "lists.bad_numbers": (
            "这些不是有效号码：{numbers}",
            "These are not valid numbers: {numbers}",
        ),
        "lists.no_numbers": (
            "请至少填写一个号码（最多 1000 个）。",
            "Give at least one number (at most 1,000).",
        ),
        "lists.words_explained": (
            "含有屏蔽词的短信会被拒绝（不区分大小写），接口每 5 秒重新读取。",
            "Messages containing a banned word are refused (any case); the APIs re-read the list"
            " every 5 s.",
        ),
        "lists.words_empty": ("没有屏蔽词", "No banned words"),
        "lists.words_empty_hint": ("在右侧添加。", "Add some with the form."),
        "lists.add_words": ("添加屏蔽词", "Add banned words"),
        "lists.words_field": ("屏蔽词", "Words"),
        "lists.words_hint": ("每行一个。", "One per line."),
        "lists.bad_words": (
            "请每行填写一个词，每个最多 {n} 个字符。",
            "One word per line, at most {n} characters each.",
        ),
        # charts
        "charts.title": ("统计图表", "Charts"),
        "charts.sent": (
            "最近 24 小时发送量（所有账号，按小时）",
            "Sent in the last 24 hours (all accounts, per hour)",
        ),
        "charts.rate": (
            "最近 24 小时送达率（已有结果的短信）",
            "Delivery rate, last 24 hours (messages with an outcome)",
        ),
        "charts.no_traffic": ("最近 24 小时没有短信", "No messages in the last 24 hours"),
        "charts.no_traffic_hint": (
            "客户发送短信后这里会出现图表。",
            "The chart appears once partners send.",
        ),
        "charts.no_outcomes": ("还没有已完成的短信", "No finished messages yet"),
        "charts.latency": (
            "各通道回执延迟（最近 24 小时）",
            "Receipt latency per channel (last 24 hours)",
        ),
        "charts.latency_explained": (
            "按本平台时钟计：从记录短信的 submit_sm_resp 到记录使其完成的回执。"
            "只统计最新 {n} 条短信中最近 24 小时完成的。",
            "By hongyan's clock: from recording a message's submit_sm_resp to recording the"
            " receipt that finished it. Among the newest {n} messages, those finished in the last"
            " 24 hours.",
        ),
        "charts.receipts": ("回执数", "Receipts"),
        "charts.worst": ("最大", "Worst"),
        "charts.no_receipts": ("最近 24 小时没有回执", "No receipts in the last 24 hours"),
        "charts.no_receipts_hint": (
            "运营商返回回执后这里会出现延迟分布。",
            "The distribution appears once carriers send receipts.",
        ),
        # audit log
        "audit.title": ("操作日志", "Audit log"),
        "audit.operator": ("操作员", "Operator"),
        "audit.target": ("对象", "Target"),
        "audit.target_hint": (
            "例如 account:acme 或 channel:",
            "For example account:acme or channel:",
        ),
        "audit.when": ("时间", "When"),
        "audit.action": ("操作", "Action"),
        "audit.changes": ("变更（前 → 后）", "Changes (before → after)"),
        "audit.no_change": ("无字段变化", "no field changed"),
        "audit.none_found": ("没有符合条件的记录", "No entries match"),
        "audit.none_found_hint": ("试试清除条件。", "Try clearing the filters."),
        "audit.empty": ("还没有操作记录", "Nothing recorded yet"),
        "audit.empty_hint": (
            "操作员在控制台的每次修改都会记录在这里。",
            "Every change an operator makes is recorded here.",
        ),
    }
)
