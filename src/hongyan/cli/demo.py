"""``hongyan demo``: the whole platform on one machine, with a simulated carrier and partner.

SQLite under ``./hongyan-data/``, the built-in SMSC simulator, every role, HTTP on
127.0.0.1:8080, a ``demo`` account whose report and inbound URLs point at a receiver inside
the demo (so pushes are visible), and one progress line per message event.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import shutil
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from hongyan.cli.common import CommandError, add_config_option, load_settings, run
from hongyan.cli.serve import install_stop_signals
from hongyan.config import (
    ChannelSettings,
    DatabaseSettings,
    HttpSettings,
    RouteSettings,
    SecuritySettings,
    Settings,
)
from hongyan.core.accounts import hash_password
from hongyan.store.base import NewAccount, Store

ACCOUNT, PASSWORD, SERVICE_CODE = "demo", "demo1234", "1069000"
OPERATOR = "admin"  # signs in to the console with PASSWORD


def register(subparsers: Any) -> None:
    demo = subparsers.add_parser("demo", help="run the whole platform with a simulated carrier")
    add_config_option(demo)
    demo.add_argument("--port", type=int, default=None, help="HTTP port (8080)")
    demo.add_argument("--smsc-port", type=int, default=2775, help="simulator SMPP port (2775)")
    demo.add_argument("--data-dir", default="hongyan-data", help="where data lives")
    demo.add_argument("--reset", action="store_true", help="start with empty data")
    demo.add_argument("--quiet", action="store_true", help="no progress lines")
    demo.set_defaults(func=_demo)


def demo_settings(data_dir: Path, port: int, smsc_port: int) -> Settings:
    return Settings(
        database=DatabaseSettings(url=f"sqlite:///{data_dir / 'hongyan.db'}"),
        http=HttpSettings(host="127.0.0.1", port=port),
        security=SecuritySettings(key_file=str(data_dir / "secret.key")),
        channels=(simulator_channel(smsc_port),),
        routes=(RouteSettings(prefix="", channels=("simulator",)),),
    )


def simulator_channel(smsc_port: int) -> ChannelSettings:
    return ChannelSettings(
        name="simulator",
        protocol="simulator",
        host="127.0.0.1",
        port=smsc_port,
        system_id="hongyan",
        password="demo",
    )


def settings_for(args: argparse.Namespace, data_dir: Path) -> Settings:
    """The demo's own settings; with ``--config``, the file's, plus the simulator if it names
    no channel (and ``--port`` when given)."""
    if args.config is None:
        return demo_settings(data_dir, args.port or 8080, args.smsc_port)
    settings = load_settings(args)
    if not settings.channels:
        settings = replace(
            settings,
            channels=(simulator_channel(args.smsc_port),),
            routes=(RouteSettings(prefix="", channels=("simulator",)),),
        )
    if args.port is not None:
        settings = replace(settings, http=replace(settings.http, port=args.port))
    return settings


async def ensure_demo_users(store: Store, port: int) -> None:
    """The console operator and the partner account the banner names, unless they exist."""
    if await store.get_operator(OPERATOR) is None:
        await store.create_operator(OPERATOR, await asyncio.to_thread(hash_password, PASSWORD))
    if await store.get_account(ACCOUNT) is not None:
        return
    base = f"http://127.0.0.1:{port}/demo"
    await store.create_account(
        NewAccount(
            name=ACCOUNT,
            password_hash=await asyncio.to_thread(hash_password, PASSWORD),
            balance=1000,
            service_code=SERVICE_CODE,
            short_name="鸿雁演示",
            report_url=f"{base}/reports",
            inbound_url=f"{base}/inbound",
        )
    )


def banner(port: int, settings: Settings) -> str:
    base = f"http://127.0.0.1:{port}"
    carriers = ", ".join(
        f"{c.name} ({'SMSC simulator on ' if c.protocol == 'simulator' else ''}{c.host}:{c.port})"
        for c in settings.channels
    )
    md5 = hashlib.md5(PASSWORD.encode()).hexdigest().upper()
    return f"""
hongyan demo is running: HTTP {base}, channels: {carriers}
account {ACCOUNT} / {PASSWORD}, service code {SERVICE_CODE}; pushes go to {base}/demo/…

  # HI8D international API (JSON)
  curl -s {base}/servlet/gateway.php -d account={ACCOUNT} -d passwd={md5} \\
       -d mb=8613800138000 --data-urlencode content=你好，鸿雁
  # 企信通 API (key=value; UTF-8 accepted, GBK answers)
  curl -s '{base}/send/g70send.aspx' -d name={ACCOUNT} -d pwd={PASSWORD} \\
       -d dst=13800138000 --data-urlencode msg=验证码123456 | iconv -f gbk -t utf-8
  curl -s '{base}/send/getfee.aspx?name={ACCOUNT}&pwd={PASSWORD}' | iconv -f gbk -t utf-8
  # a handset replies, then read the reply
  curl -s '{base}/demo/mo?from=13800138000&to={SERVICE_CODE}01&text=OK'
  curl -s '{base}/send/readsms.aspx?name={ACCOUNT}&pwd={PASSWORD}' | iconv -f gbk -t utf-8
  # what the partner received
  curl -s {base}/demo/pushes

  partner portal   {base}/portal   ({ACCOUNT} / {PASSWORD})
  operator console {base}/admin    ({OPERATOR} / {PASSWORD})

Ctrl-C stops; data stays in the data directory (--reset starts clean).
"""


def _demo(args: argparse.Namespace) -> int:
    from hongyan.services.demo_partner import DemoPartner, Progress  # heavy: only when running
    from hongyan.services.platform import Platform

    async def action() -> int:
        data_dir = Path(args.data_dir).resolve()
        if args.reset and data_dir.exists():
            shutil.rmtree(data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        progress = None if args.quiet else Progress(sys.stdout, sys.stdout.isatty())
        partner = DemoPartner(progress)
        settings = settings_for(args, data_dir)
        port = settings.http.port
        platform = Platform(
            settings,
            base_dir=data_dir,
            extra_routes=partner.routes(),
            observer=progress,
            simulator_factory=partner.make_simulator,
        )
        stop = asyncio.Event()
        install_stop_signals(stop)
        runner = asyncio.create_task(platform.run(stop))
        started = asyncio.create_task(platform.started.wait())
        await asyncio.wait({runner, started}, return_when=asyncio.FIRST_COMPLETED)
        if runner.done():
            started.cancel()
            raise CommandError(f"the demo could not start: {runner.exception()}")
        assert platform.store is not None
        await ensure_demo_users(platform.store, port)
        if progress is not None:
            progress.store = platform.store
        print(banner(port, settings), flush=True)
        await runner
        return 0

    return run(action)
