"""Several nodes on one PostgreSQL, one of each role SIGKILLed under load: nothing is lost.

Real processes: two ``hongyan serve --role api`` (two ports, as behind a load balancer), two
``--role dispatcher``, two ``--role notifier``, and ``hongyan simulator``, all from one config
file; the partner's report receiver runs in the test. Partners send one recipient per request,
alternating between the two APIs. Mid-load the test pauses the simulator's receipts and
SIGKILLs one API, the dispatcher holding the channel's binds and one notifier (none of them is
restarted): the survivors carry on. Then receipts flow again: the ones for messages the dead
dispatcher submitted arrive on the binds the other dispatcher took over.

Asserted: every accepted message ends delivered (so the SMSC took it: a delivery receipt from
the simulator matched its carrier id), every one was reported to the partner, and the
simulator never saw more binds than the channel's ``binds``.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
from pathlib import Path

import httpx
import pytest
from tests.pipeline.harness import (
    PASSWORD,
    SECRET_KEY,
    PushReceiver,
    create_account,
    eventually,
)

from hongyan.core.messages import MessageState
from hongyan.services.platform import listen
from hongyan.store import connect
from hongyan.store.base import Store

from .nodes import Cluster, Node, Simulator

pytestmark = pytest.mark.postgres

MESSAGES = 600
CLIENTS = 8
BINDS = 2
PASSWD = hashlib.md5(PASSWORD.encode()).hexdigest().upper()


def config(database_url: str, smsc_port: int) -> str:
    return f"""
[database]
url = "{database_url}"
[http]
host = "127.0.0.1"
[security]
secret_key = "{SECRET_KEY}"
[dispatcher]
batch = 50
lease_seconds = 2          # claims of a killed dispatcher are claimed again 2 s later
max_in_flight = 100
retry_seconds = 0.2
bind_lease_seconds = 3
bind_renew_seconds = 1
[notifier]
batch = 64
timeout_seconds = 1.5      # pushes a killed notifier had claimed go out 3 s later
[[channels]]
name = "cmcc"
host = "127.0.0.1"
port = {smsc_port}
window = 16
binds = {BINDS}
[[routes]]
prefix = ""
channels = ["cmcc"]
"""


def free_port() -> int:
    with listen("127.0.0.1", 0) as sock:
        return int(sock.getsockname()[1])


async def send_all(apis: list[Node], recipients: list[str], accepted: dict[int, str]) -> None:
    """One recipient per request from ``CLIENTS`` clients, turn by turn to each API; a request
    an API does not answer goes to the next one (as a load balancer would)."""
    queue = list(reversed(recipients))
    turns = itertools.cycle(apis)

    async def client_loop(client: httpx.AsyncClient) -> None:
        while queue:
            number = queue.pop()
            form = {"account": "acme", "passwd": PASSWD, "mb": number, "content": f"m{number}"}
            for _ in range(len(apis) * 2):
                api = next(turns)
                if not api.alive:
                    continue
                url = f"http://127.0.0.1:{api.port}/servlet/gateway.php"
                try:
                    answer = (await client.post(url, data=form)).json()
                except (httpx.TransportError, ValueError):
                    continue  # no answer: maybe accepted, maybe not; send it again elsewhere
                if answer["status"] == 1:
                    accepted[int(answer["guid"])] = number
                break

    async with httpx.AsyncClient(timeout=5) as client:
        await asyncio.gather(*(client_loop(client) for _ in range(CLIENTS)))


async def binds_holder(store: Store, dispatchers: list[Node]) -> Node:
    """The one of ``dispatchers`` holding every slot of the channel, once all are bound."""
    found: list[Node] = []

    async def bound() -> bool:
        states = await store.channel_states()
        owners = {s.owner for s in states if s.bound}
        if len(states) != BINDS or not all(s.bound for s in states) or len(owners) != 1:
            return False
        pid = int(str(owners.pop()).split(":")[1])
        found[:] = [d for d in dispatchers if d.process.pid == pid]
        return bool(found)  # rows of a killed holder still name it until taken over

    await eventually(bound, timeout=30, every=0.1)
    return found[0]


async def test_sigkill_one_of_each_role_loses_nothing(postgres_url: str, tmp_path: Path) -> None:
    cluster = Cluster(tmp_path / "hongyan.toml", tmp_path)
    receiver = PushReceiver()
    await receiver.start()
    store = connect(postgres_url)
    await store.open()
    try:
        await store.upgrade()
        await create_account(store, receiver, "acme", "1069001")
        sim = Simulator(
            cluster.start(
                "simulator",
                *("simulator", "--port", "0", "--control-port", "0", "--dlr-delay", "0.05"),
                *("--delivered", "1", "--undeliverable", "0", "--expired", "0"),
            )
        )
        await sim.ready()
        cluster.config.write_text(config(postgres_url, sim.smpp_port))
        apis = [cluster.serve(f"api{i}", "api", free_port()) for i in (1, 2)]
        dispatchers = [cluster.serve(f"dispatcher{i}", "dispatcher") for i in (1, 2)]
        notifiers = [cluster.serve(f"notifier{i}", "notifier") for i in (1, 2)]
        for api in apis:
            await cluster.answering(api)
        holder = await binds_holder(store, dispatchers)

        recipients = [f"86139{n:08}" for n in range(MESSAGES)]
        accepted: dict[int, str] = {}
        sending = asyncio.create_task(send_all(apis, recipients, accepted))

        async def quarter_sent() -> bool:
            return int((await sim.stats())["submit_sm_ok"]) >= MESSAGES // 4

        await eventually(quarter_sent, timeout=30, every=0.05)
        await sim.control("/receipts", paused=1)  # receipts of holder's submits: for the other
        for node in (apis[0], holder, notifiers[0]):
            node.kill()
        survivor = next(d for d in dispatchers if d is not holder)
        await binds_holder(store, [survivor])  # took both slots over
        await sim.control("/receipts", paused=0)
        await sending
        assert len(accepted) >= MESSAGES * 3 // 4, "most requests should be accepted"

        ids = sorted(accepted)

        async def all_delivered() -> bool:
            found = [await store.get_message(i) for i in ids]
            return all(m is not None and m.state is MessageState.DELIVERED for m in found)

        await eventually(all_delivered, timeout=40, every=0.25)
        reported = lambda: {int(p.json["guid"]) for p in receiver.received("acme/reports")}  # noqa: E731
        await eventually(lambda: reported() >= set(accepted), timeout=30)
        stats = await sim.stats()
        assert stats["binds_peak"] <= BINDS and stats["binds_rejected"] == 0
        assert stats["submit_sm_ok"] >= len(accepted)
        assert all(node.alive for node in (apis[1], survivor, notifiers[1]))
        print(
            f"accepted {len(accepted)} of {MESSAGES}; at the SMSC {stats['submit_sm_ok']}"
            f" (duplicates after the kill: {stats['submit_sm_ok'] - len(accepted)});"
            f" binds peak {stats['binds_peak']}"
        )
    finally:
        await cluster.stop()
        await store.close()
        await receiver.stop()
