"""The shared hub client against a real hub on loopback, with real network faults in between."""
from __future__ import annotations

import asyncio
from urllib.parse import urlparse

import pytest

from server.hub_client import EventStream, HubClient, HubError, HubUnreachable, IssueSpec, RetryPolicy, StreamState
from tests.kiosk.proxy import FaultyProxy

FAST = RetryPolicy(attempts=4, first_delay_s=0.01, max_delay_s=0.05, timeout_s=5)


@pytest.fixture
async def proxy(hub):
    url = urlparse(hub.base_url)
    p = await FaultyProxy(url.hostname, url.port).start()
    yield p
    await p.stop()


async def test_typed_reads_of_the_sample_hall(hub):
    async with HubClient(hub.base_url, hub.tokens["kiosk"], FAST) as client:
        hall = await client.hall()
        zones = await client.zones()
        queues = await client.queues("C")
        items = await client.items("C")
        state = await client.state("C")
    assert hall.name == "茶陵县政务服务中心" and hall.issuing.open
    assert "elderly" in hall.priority_classes
    assert [z.code for z in zones][:3] == ["A", "B", "C"] and zones[2].name == "不动产登记区"
    assert [q.prefix for q in queues] == ["C1"]
    # The front windows that serve it (the ticket names them); the zone's back office BO-C never.
    assert queues[0].window_numbers == tuple(range(19, 27))
    assert items and all(i.zone == "C" for i in items)
    assert state.last_seq >= 0 and [q.prefix for q in state.queues] == ["C1"]


async def test_retry_after_a_lost_reply_gives_one_ticket(hub, proxy):
    # Tried: the hub issued the ticket but the reply was lost twice. Kept: exactly one ticket.
    proxy.drop_responses = 2
    async with HubClient(proxy.url, hub.tokens["kiosk"], FAST) as client:
        ticket = await client.issue(IssueSpec(queue="C1"), "touch-1")
    assert ticket.number == "C1001" and ticket.replayed
    assert proxy.connections == 3
    today = await hub.engine.tickets_today()
    assert [t.number for t in today] == ["C1001"]


async def test_same_key_twice_returns_the_same_ticket(hub):
    async with HubClient(hub.base_url, hub.tokens["kiosk"], FAST) as client:
        first = await client.issue(IssueSpec(queue="A1"), "k-1")
        again = await client.issue(IssueSpec(queue="A1"), "k-1")
        other = await client.issue(IssueSpec(queue="A1"), "k-2")
    assert (first.id, first.number, first.replayed) == (again.id, again.number, False) and again.replayed
    assert other.number == "A1002"


async def test_hub_refusal_is_a_hub_error_with_the_chinese_message(hub):
    # Tried: an unknown queue. Kept: nothing issued, the hub's code and Chinese reason.
    async with HubClient(hub.base_url, hub.tokens["kiosk"], FAST) as client:
        with pytest.raises(HubError) as info:
            await client.issue(IssueSpec(queue="Z9"), "k-bad")
    assert info.value.code == "not_found" and "未找到" in info.value.message_zh
    assert await hub.engine.tickets_today() == []


async def test_unreachable_hub_after_all_retries(hub, proxy):
    # Tried: every connection refused. Kept: nothing issued, HubUnreachable with a Chinese message.
    proxy.refuse = True
    async with HubClient(proxy.url, hub.tokens["kiosk"], FAST) as client:
        with pytest.raises(HubUnreachable) as info:
            await client.issue(IssueSpec(queue="A1"), "k-x")
    assert proxy.connections == FAST.attempts
    assert "无法连接" in info.value.message_zh
    assert await hub.engine.tickets_today() == []


async def _collect(stream: EventStream, into: list, n: int) -> None:
    async for event in stream:
        into.append(event)
        if len(into) >= n:
            return


async def test_event_stream_replays_missed_events_exactly_once(hub, proxy):
    async with HubClient(hub.base_url, hub.tokens["kiosk"], FAST) as client:
        start = (await client.state()).last_seq
        stream = EventStream(proxy.url, hub.tokens["board-A"], zone="A", since=start, policy=FAST)
        seen: list = []
        reader = asyncio.create_task(_collect(stream, seen, 4))
        while stream.state is not StreamState.ONLINE:
            await asyncio.sleep(0.01)
        await client.issue(IssueSpec(queue="A1"), "e-1")
        await client.issue(IssueSpec(queue="C1"), "e-other-zone")
        while len(seen) < 1:
            await asyncio.sleep(0.01)
        assert stream.state is StreamState.ONLINE
        # The network drops; while the board is away three tickets are issued in its zone.
        proxy.refuse = True
        proxy.cut_all()
        while stream.state is StreamState.ONLINE:
            await asyncio.sleep(0.01)
        for key in ("e-2", "e-3", "e-4"):
            await client.issue(IssueSpec(queue="A1"), key)
        proxy.refuse = False
        await asyncio.wait_for(reader, 10)
        await stream.close()
    assert [e.number for e in seen] == ["A1001", "A1002", "A1003", "A1004"]
    assert [e.kind for e in seen] == ["ticket.issued"] * 4
    assert [e.replay for e in seen] == [False, True, True, True]
    assert stream.connections >= 2
    assert len({e.seq for e in seen}) == 4


async def test_an_address_that_is_not_the_hub_says_so_with_the_whole_url(hub, aiohttp_server, caplog):
    """Tried: the hub's address with a path after the port (/hallq), and a web server that
    answers every path with a page (a router's login page). Kept: one request each, not four
    retries, and a HubError naming the whole URL, the status and the content type: it was a
    "JSONDecodeError: Extra data" retried as if the network had failed, then 暂时无法连接."""
    import logging

    from aiohttp import web

    async def login_page(request: web.Request) -> web.Response:
        pages.append(request.path)
        return web.Response(text="<html><body>登录</body></html>", content_type="text/html")

    pages: list[str] = []
    router = web.Application()
    router.router.add_route("*", "/{tail:.*}", login_page)
    other = await aiohttp_server(router)
    with caplog.at_level(logging.WARNING, logger="server.hub_client"):
        for base, status, kind in ((hub.base_url + "/hallq", 404, "text/html"), (str(other.make_url("")), 200, "text/html")):
            async with HubClient(base, hub.tokens["kiosk"], FAST) as client:
                with pytest.raises(HubError) as refused:
                    await client.me()
            url = base.rstrip("/") + "/api/v1/auth/me"
            assert refused.value.code == "not_a_hub" and refused.value.status == status
            assert refused.value.message_en == f"GET {url}: HTTP {status} ({kind}): not a HallQ hub at this address?"
            assert "地址" in refused.value.message_zh
    assert pages == ["/api/v1/auth/me"]
    assert not [r for r in caplog.records if "JSONDecodeError" in r.getMessage()]


async def test_an_event_stream_outage_is_logged_once_and_its_end_once(hub, proxy, caplog):
    """Tried: a board's stream through a proxy that then refuses every connection (the hub down)
    for ten reconnect attempts, then lets it through. It was: one INFO line per attempt, every 2 s
    at most: ~43,000 lines a day of a hub down overnight, burying the board's other lines. Kept:
    one line when the outage starts, one when the stream is back, naming the attempts."""
    import logging

    caplog.set_level(logging.INFO, logger="server.hub_client")
    stream = EventStream(proxy.url, hub.tokens["board-A"], zone="A", policy=FAST)
    reader = asyncio.create_task(_collect(stream, [], 1))
    while stream.state is not StreamState.ONLINE:
        await asyncio.sleep(0.01)
    proxy.refuse = True
    proxy.cut_all()
    tried = proxy.connections
    while proxy.connections < tried + 10:
        await asyncio.sleep(0.01)
    proxy.refuse = False
    while stream.state is not StreamState.ONLINE:
        await asyncio.sleep(0.01)
    reader.cancel()
    await stream.close()
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("event stream")]
    assert len(lines) == 2, lines
    assert "retrying" in lines[0] and lines[1].startswith("event stream: connected again after ")
