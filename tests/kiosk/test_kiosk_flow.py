"""The kiosk end to end: pygame touches -> hub -> ESC/POS bytes, and every fault on the way."""
from __future__ import annotations

import pygame
import pytest
import zxingcpp
from PIL import Image

from server.api.keys import CONFIG

from kiosk import flow as f
from server.engine.views import IssueRequest
from kiosk.flow import SEARCH_MAX
from printer_drivers.escpos_reader import read
from tests.conftest import at
from tests.kiosk.proxy import FaultyProxy

C1_ITEM_ZONE = "不动产登记区"


async def confirm_in_zone_c(kiosk, finger: bool = False) -> None:
    """Zone C, its first item: the confirm screen."""
    await kiosk.tap(C1_ITEM_ZONE, finger=finger)
    assert isinstance(kiosk.app.flow.screen, f.Services)
    service = kiosk.app.painter.buttons[[b.action[0] for b in kiosk.app.painter.buttons].index("service")]
    await kiosk.tap(service.label, finger=finger)
    assert isinstance(kiosk.app.flow.screen, f.Confirm)


async def c1_tickets_at_an_open_window(hub, count: int) -> None:
    for _ in range(count):
        r = await hub.client.post("/api/v1/tickets", json={"queue": "C1"}, headers=hub.auth("kiosk"))
        assert r.status == 201
    r = await hub.client.post("/api/v1/windows/W19/login", json={}, headers=hub.auth("staff02"))
    assert r.status == 200


async def issue_in_zone_c(kiosk, finger: bool = False) -> str:
    await confirm_in_zone_c(kiosk, finger)
    name = kiosk.app.flow.screen.service.name
    await kiosk.tap("确认取号", finger=finger)
    return name


@pytest.mark.parametrize("finger", [False, True], ids=["mouse", "finger"])
async def test_full_issue_flow_prints_number_service_and_status_qr(hub, make_kiosk, finger):
    kiosk = make_kiosk()
    await kiosk.start()
    assert isinstance(kiosk.app.flow.screen, f.Start)
    service = await issue_in_zone_c(kiosk, finger)
    screen = kiosk.app.flow.screen
    assert isinstance(screen, f.TicketOut), kiosk.texts()
    assert "请取走您的票" in kiosk.texts() and "C1001" in kiosk.texts()
    assert f"{service} · 请到不动产登记区等候" in kiosk.texts()
    doc = read(kiosk.printer.printed)
    printed_text = "\n".join(line.text for line in doc.lines)
    assert "C1001" in printed_text and service in printed_text
    # The windows of zone C's queue (19-26, W19…W26), not its back office: on paper and on screen.
    assert "办理窗口：19-26号" in [line.text for line in doc.lines]
    assert "办理窗口：19-26号" in [t.text for t in kiosk.app.painter.texts]
    ticket = (await hub.engine.tickets_today())[0]
    # The hub publishes the hall's QR prefix (hall.status_base_url); it wins over the kiosk's fallback.
    prefix = hub.app[CONFIG].hall.status_base_url
    assert prefix != "https://hall.example.cn/t/"
    assert [q.payload for q in doc.qr_codes] == [f"{prefix}{ticket.status_token}"]
    assert ticket.printed is True and ticket.number == "C1001"


async def test_a_kiosk_out_of_paper_says_so_before_anyone_chooses(hub, make_kiosk):
    """Tried: a kiosk starting with its printer out of paper, then paper loaded. Kept: the start
    screen says 暂停取号 with the printer's reason and points to another kiosk (each citizen went
    through zone, item and confirm before being refused); loaded, the next re-read opens it."""
    kiosk = make_kiosk("dummy:?paper=out")
    await kiosk.start()
    assert isinstance(kiosk.app.flow.screen, f.Closed), kiosk.texts()
    assert "暂停取号" in kiosk.texts() and "打印纸已用完" in kiosk.texts() and "其他取号机" in kiosk.texts()
    assert C1_ITEM_ZONE not in [b.label for b in kiosk.app.painter.buttons]
    kiosk.printer.script.paper = "ok"
    kiosk.app.refresh()
    await kiosk.app.settle()
    await kiosk.app.step()
    assert isinstance(kiosk.app.flow.screen, f.Start)
    await issue_in_zone_c(kiosk)
    assert isinstance(kiosk.app.flow.screen, f.TicketOut)


async def test_out_of_paper_before_issuing_issues_nothing(hub, make_kiosk):
    # Tried: a confirm while the printer reports paper out (it ran out after the start screen's
    # check). Kept: no ticket, the reason shown.
    kiosk = make_kiosk()
    await kiosk.start()
    kiosk.printer.script.paper = "out"
    await issue_in_zone_c(kiosk)
    assert isinstance(kiosk.app.flow.screen, f.Notice)
    assert "打印纸已用完" in kiosk.texts() and "本次未取号，未出票" in kiosk.texts()
    assert kiosk.texts().count("请联系工作人员") == 1  # the printer's message asks once; the screen does not repeat it
    assert await hub.engine.tickets_today() == []
    assert kiosk.printer.printed == b""


async def test_printer_failing_after_issue_shows_number_and_reports_failure(hub, make_kiosk):
    # Tried: the paper runs out in the middle of the ticket (ready before, out after). Kept: the
    # ticket (number on screen), printed=false at the hub, a ticket.print_failed event; the screen
    # gives what the paper would have (service, people ahead) and the status page as a QR code a
    # phone reads off the screen, stays long enough to scan, and no longer quotes the printer's
    # own "请联系工作人员换纸" beside "已通知工作人员".
    kiosk = make_kiosk("dummy:?paper_bytes=100")
    await kiosk.start()
    service = await issue_in_zone_c(kiosk)
    assert isinstance(kiosk.app.flow.screen, f.PrintFailed), kiosk.texts()
    assert "C1001" in kiosk.texts() and "非常抱歉" in kiosk.texts()
    assert service in kiosk.texts() and "前面还有 0 人等候" in kiosk.texts() and "请联系工作人员" not in kiosk.texts()
    [(payload, box)] = kiosk.app.painter.qr_codes
    image = Image.frombytes("RGB", kiosk.app.surface.get_size(), pygame.image.tobytes(kiosk.app.surface, "RGB"))
    [decoded] = zxingcpp.read_barcodes(image)
    assert decoded.text == payload and payload.endswith((await hub.engine.tickets_today())[0].status_token)
    assert box.width >= 150  # large enough for a phone at arm's length
    flow = kiosk.app.flow
    flow.tick(flow.last_touch + flow.ticket_timeout_s + 1)
    assert isinstance(flow.screen, f.PrintFailed), "a printed ticket's 20 s is too short to note a number"
    ticket = (await hub.engine.tickets_today())[0]
    assert ticket.printed is False and ticket.status == "waiting"
    kinds = [e.kind for e in await hub.engine.ticket_events(ticket.id)]
    assert kinds == ["ticket.issued", "ticket.print_failed"]


async def test_hub_unreachable_shows_message_and_retry_keeps_one_ticket(hub, make_kiosk):
    # Tried: confirm with the hub unreachable. Kept: nothing issued; the retry button re-sends the
    # same job (same idempotency key) once the hub is back, giving exactly one ticket.
    url = __import__("urllib.parse").parse.urlparse(hub.base_url)
    proxy = await FaultyProxy(url.hostname, url.port).start()
    try:
        kiosk = make_kiosk(base_url=proxy.url)
        await kiosk.start()
        proxy.refuse = True
        proxy.cut_all()
        await issue_in_zone_c(kiosk)
        assert isinstance(kiosk.app.flow.screen, f.Notice) and "无法连接" in kiosk.texts()
        assert await hub.engine.tickets_today() == []
        key = kiosk.app.flow.screen.retry.idempotency_key
        proxy.refuse = False
        proxy.drop_responses = 1  # and the first reply after the retry is lost too
        await kiosk.tap("重试")
        assert isinstance(kiosk.app.flow.screen, f.TicketOut)
        assert kiosk.app.results[-1].job.idempotency_key == key
        assert [t.number for t in await hub.engine.tickets_today()] == ["C1001"]
    finally:
        await proxy.stop()


async def test_unreachable_hub_at_start_shows_offline(hub, make_kiosk):
    kiosk = make_kiosk(base_url="http://127.0.0.1:9")  # discard port: nothing listens
    await kiosk.start()
    assert isinstance(kiosk.app.flow.screen, f.Offline)
    assert "暂停服务" in kiosk.texts() and "无法连接" in kiosk.texts()


async def test_closed_hall_shows_reason_and_next_opening(hub, make_kiosk, clock):
    """Tried: the kiosk at lunch (12:30; afternoons from 14:00). Kept: 暂停取号 with the reason
    said once (it read 暂停取号 / 午间休息，暂停取号，…) and the next opening; 预约签到 is offered,
    as a booking for 14:00 may check in from 13:30."""
    clock.set(at("12:30"))
    kiosk = make_kiosk()
    await kiosk.start()
    assert isinstance(kiosk.app.flow.screen, f.Closed)
    assert "午间休息" in kiosk.texts() and "14:00" in kiosk.texts()
    assert kiosk.texts().count("暂停取号") == 1, kiosk.texts()
    assert kiosk.app.flow.screen.check_in and "预约签到" in [b.label for b in kiosk.app.painter.buttons]


async def test_a_booked_citizen_checks_in_before_the_hall_opens(hub, make_kiosk, clock):
    """Tried: 08:10, before issuing opens at 08:30, a citizen booked for 08:30 at the kiosk.
    It was: 尚未开始取号 and no way to check in, though a booking checks in 30 min early. Kept:
    预约签到 is offered and checks them in; walk-ins are not offered a zone."""
    r = await hub.client.post("/api/v1/appointments", headers=hub.auth("manager"), json={
        "code": "20260830", "day": "2026-11-26", "queue": "C1", "slot_start": "08:30", "slot_end": "09:00"})
    assert r.status == 201, await r.text()
    clock.set(at("08:10"))
    kiosk = make_kiosk()
    await kiosk.start()
    assert isinstance(kiosk.app.flow.screen, f.Closed) and "尚未开始取号" in kiosk.texts()
    assert C1_ITEM_ZONE not in [b.label for b in kiosk.app.painter.buttons]
    await kiosk.tap("预约签到")
    for digit in "20260830":
        await kiosk.tap(digit)
    await kiosk.tap("签到取号")
    assert isinstance(kiosk.app.flow.screen, f.TicketOut), kiosk.texts()
    assert [t.appointment and t.priority for t in await hub.engine.tickets_today()] == [True]


async def test_hall_closing_between_load_and_confirm_is_refused_with_reason(hub, make_kiosk, clock):
    kiosk = make_kiosk()
    await kiosk.start()
    clock.set(at("11:45"))  # stop-issuing 30 min before the morning session ends
    await issue_in_zone_c(kiosk)
    assert isinstance(kiosk.app.flow.screen, f.Closed)
    assert "停止取号" in kiosk.texts() and "14:00" in kiosk.texts()
    assert await hub.engine.tickets_today() == []
    # the refusal keeps 预约签到 for the next citizen: it came only with the next catalogue read
    assert kiosk.app.flow.screen.check_in and "预约签到" in [b.label for b in kiosk.app.painter.buttons]


async def test_green_channel_issues_a_priority_ticket(hub, make_kiosk):
    kiosk = make_kiosk()
    await kiosk.start()
    await kiosk.tap("绿色通道")
    await kiosk.tap("老年人")
    await issue_in_zone_c(kiosk)
    ticket = (await hub.engine.tickets_today())[0]
    assert ticket.priority and ticket.priority_class == "elderly"
    assert "绿色通道" in "\n".join(line.text for line in read(kiosk.printer.printed).lines)


async def test_green_channel_confirm_counts_only_priority_tickets_ahead(hub, make_kiosk):
    """Tried: three ordinary C1 tickets waiting at an open W19, then an elderly citizen's green
    channel ticket. Kept: the confirm screen says nobody is ahead of them (it showed the ordinary
    line, 3 ahead, and the ticket then said 0), the ticket screen and the printed ticket say
    即将叫号 (not "about 0 minutes")."""
    await c1_tickets_at_an_open_window(hub, 3)
    kiosk = make_kiosk()
    await kiosk.start()
    await kiosk.tap("绿色通道")
    await kiosk.tap("老年人")
    await confirm_in_zone_c(kiosk)
    assert isinstance(kiosk.app.flow.screen, f.Confirm) and kiosk.app.flow.screen.service.queue == "C1"
    assert "绿色通道优先办理，无需等候" in kiosk.texts() and "前面还有 3 人" not in kiosk.texts()
    await kiosk.tap("确认取号")
    assert "前面还有 0 人等候，即将叫号" in kiosk.texts()
    printed = [line.text for line in read(kiosk.printer.printed).lines]
    assert "即将叫号" in printed and not any("约 0 分钟" in line for line in printed)


async def test_a_ticket_taken_while_no_window_serves_says_so(hub, make_kiosk):
    """Tried: a ticket for zone C before anyone works there. Kept: the screen and the printed
    ticket say no window serves it yet (the ticket said only 前面还有 0 人等候)."""
    kiosk = make_kiosk()
    await kiosk.start()
    await issue_in_zone_c(kiosk)
    assert "前面还有 0 人等候，目前暂无窗口办理" in kiosk.texts()
    printed = "".join(line.text for line in read(kiosk.printer.printed).lines)
    assert "目前暂无窗口办理此业务" in printed and "预计等候" not in printed and "即将叫号" not in printed


async def _book(hub, code: str) -> None:
    r = await hub.client.post("/api/v1/appointments", headers=hub.auth("manager"), json={
        "code": code, "day": "2026-11-26", "queue": "C1", "slot_start": "09:00", "slot_end": "10:00"})
    assert r.status == 201, await r.text()


async def test_appointment_by_keypad(hub, make_kiosk):
    await _book(hub, "20261126")
    kiosk = make_kiosk()
    await kiosk.start()
    await kiosk.tap("预约签到")
    for digit in "20261126":
        await kiosk.tap(digit)
    await kiosk.tap("签到取号")
    assert isinstance(kiosk.app.flow.screen, f.TicketOut), kiosk.texts()
    # What and where, as the ticket prints it (the screen said only 预约办理).
    assert "不动产登记 · 请到不动产登记区等候" in kiosk.texts()
    ticket = (await hub.engine.tickets_today())[0]
    assert ticket.appointment and ticket.queue == "C1"
    # Marked as an appointment, not as the green channel (which asks for a card at the window),
    # on paper and on screen, though the hub calls it first too.
    marks = [line.text for line in read(kiosk.printer.printed).lines if line.text.startswith("【")]
    assert marks == ["【预约】"]
    assert kiosk.app.flow.screen.result.ticket.priority and "绿色通道" not in kiosk.texts()


async def wedge_scan(kiosk, code: str) -> None:
    """A keyboard-mode scanner (QR or ID card reader): the code's keys at once, then Enter."""
    for ch in code:
        pygame.event.post(pygame.event.Event(pygame.TEXTINPUT, text=ch))
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RETURN, mod=0, unicode="\r", scancode=40))
    await kiosk.app.step()
    await kiosk.app.settle()
    await kiosk.app.step()


async def test_appointment_by_wedge_scanner_and_slow_typing_is_not_a_scan(hub, make_kiosk):
    await _book(hub, "77001234")
    kiosk = make_kiosk()
    await kiosk.start()
    await wedge_scan(kiosk, "77001234")
    assert isinstance(kiosk.app.flow.screen, f.TicketOut), kiosk.texts()
    assert [t.appointment for t in await hub.engine.tickets_today()] == [True]
    # A person typing one key a second is not a scanner: nothing issued.
    await kiosk.tap("完成")
    for ch in "1234":
        kiosk.clock.now += 1.0
        kiosk.app.handle(pygame.event.Event(pygame.TEXTINPUT, text=ch))
    kiosk.app.handle(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RETURN, mod=0, unicode="\r", scancode=40))
    await kiosk.app.settle()
    assert len(await hub.engine.tickets_today()) == 1


async def test_unknown_appointment_is_refused_in_chinese(hub, make_kiosk):
    kiosk = make_kiosk()
    await kiosk.start()
    await kiosk.tap("预约签到")
    for digit in "999":
        await kiosk.tap(digit)
    await kiosk.tap("签到取号")
    assert isinstance(kiosk.app.flow.screen, f.Notice) and "未找到预约" in kiosk.texts()
    assert await hub.engine.tickets_today() == []
    # A digit mistyped on the keypad: 重新输入 opens the keypad again (only 返回首页 was offered).
    await kiosk.tap("重新输入")
    assert kiosk.app.flow.screen == f.Appointment()


async def test_an_id_card_read_as_a_code_never_shows_the_number_in_clear(hub, make_kiosk):
    """Tried: an ID card reader in keyboard mode at the kiosk (it types the 18 digits and Enter,
    as a QR scanner does). Kept: the refusal on the public screen masks the number (it showed
    未找到预约：430224195001011231 in large type for a minute); nothing is issued."""
    kiosk = make_kiosk()
    await kiosk.start()
    await wedge_scan(kiosk, "430224195001011231")
    assert isinstance(kiosk.app.flow.screen, f.Notice)
    assert "4302**********1231" in kiosk.texts() and "195001" not in kiosk.texts()
    assert await hub.engine.tickets_today() == []


async def test_an_id_card_read_at_the_kiosk_checks_in_the_booking_made_with_it(hub, make_kiosk):
    """A citizen booked with their ID number and without the code at hand: 预约签到 tells them the
    card will do, and the card read there checks the booking in."""
    r = await hub.client.post("/api/v1/appointments", headers=hub.auth("manager"), json={
        "code": "Y20261126", "day": "2026-11-26", "queue": "C1", "slot_start": "09:00", "slot_end": "10:00",
        "person_id": "430224195001011233"})
    assert r.status == 201, await r.text()
    kiosk = make_kiosk()
    await kiosk.start()
    assert "扫码、刷身份证或输入预约码" in kiosk.texts()
    await kiosk.tap("预约签到")
    assert "请扫描预约二维码、刷身份证，或输入预约码" in kiosk.texts()
    await wedge_scan(kiosk, "430224195001011233")
    assert isinstance(kiosk.app.flow.screen, f.TicketOut), kiosk.texts()
    assert "请到不动产登记区等候" in kiosk.texts()
    assert [(t.appointment, t.queue) for t in await hub.engine.tickets_today()] == [(True, "C1")]


async def test_idle_timeout_returns_to_start(hub, make_kiosk):
    kiosk = make_kiosk()
    await kiosk.start()
    await kiosk.tap(C1_ITEM_ZONE)
    kiosk.clock.now += 30
    await kiosk.app.step()
    assert isinstance(kiosk.app.flow.screen, f.Services)
    kiosk.clock.now += 31
    await kiosk.app.step()
    assert isinstance(kiosk.app.flow.screen, f.Start)


async def test_search_and_most_used_first(hub, make_kiosk):
    kiosk = make_kiosk()
    await kiosk.start()
    await kiosk.tap("社保医保服务区")
    catalogue = kiosk.app.flow.catalogue
    zone = kiosk.app.flow.screen.zone
    names = [s.name for s in catalogue.ranked(zone)]
    last = catalogue.ranked(zone)[-1]
    catalogue.record_issue(last.code)
    assert catalogue.ranked(zone)[0] == last and len(names) == len(catalogue.ranked(zone))
    await kiosk.tap("医保")
    shown = [b.label for b in kiosk.app.painter.buttons if b.action[0] == "service"]
    assert shown and all("医保" in s.rstrip("…") or "医保" in catalogue.service(b.action[1]).name
                         for s, b in zip(shown, [b for b in kiosk.app.painter.buttons if b.action[0] == "service"]))


async def test_a_kiosk_that_cannot_load_backs_off_instead_of_asking_every_frame(make_kiosk, caplog) -> None:
    """Tried: a kiosk set up for a zone the hall does not have (every load refused), stepping its
    frames on a clock that does not move, then moves. Kept: one attempt, then the next after 1 s,
    2 s, 4 s … at most 30 s apart, each logged with its wait, where it asked on every frame (127
    requests in 5 s); the citizen sees 暂停服务 with the hub's reason meanwhile."""
    import logging

    kiosk = make_kiosk(zone="Q")

    def attempts() -> int:
        return sum(1 for r in caplog.records if "cannot load the catalogue" in r.getMessage())

    async def frames(n: int = 20) -> None:
        for _ in range(n):
            await kiosk.app.step()
            await kiosk.app.settle()

    with caplog.at_level(logging.ERROR, logger="kiosk.app"):
        await kiosk.start()
        await frames()
        assert attempts() == 1
        assert "暂停服务" in kiosk.texts() and "分区不存在：Q" in kiosk.texts()
        waits = []
        for _ in range(8):
            before, waited = attempts(), 0.0
            while attempts() == before:
                kiosk.clock.now += 0.5
                waited += 0.5
                await frames(2)
            waits.append(waited)
        assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]


async def test_a_kiosk_whose_token_the_hub_refuses_says_so_before_anyone_queues(hub, make_kiosk, caplog) -> None:
    """Tried: the kiosk's token switched off by a technician, then a display's token in its place.
    Kept: the start screen is 暂停服务 with 本机未授权… at once (not a normal screen that refuses at
    确认取号), an ERROR for the technician, and no ticket issued; switched on again, the next
    attempt brings the services back."""
    import logging

    kiosk = make_kiosk()
    off = await hub.client.post("/api/v1/devices/kiosk-1/active", json={"active": False}, headers=hub.auth("tech"))
    assert off.status == 200
    with caplog.at_level(logging.ERROR, logger="kiosk.app"):
        await kiosk.start()
    assert "暂停服务" in kiosk.texts() and "本机未授权（取号机令牌无效或已停用），请联系工作人员" in kiosk.texts()
    assert any("does not accept this kiosk's token" in r.getMessage() for r in caplog.records)
    assert sum(q.issued_today for q in await hub.engine.queues()) == 0
    await hub.client.post("/api/v1/devices/kiosk-1/active", json={"active": True}, headers=hub.auth("tech"))
    kiosk.clock.now += 1.0
    await kiosk.app.step()
    await kiosk.app.settle()
    await kiosk.app.step()
    assert "暂停服务" not in kiosk.texts() and "综合受理区（一窗通办）" in kiosk.texts()

    kiosk.app.session.hub._token = hub.tokens["board-A"]  # a display's token typed into the kiosk
    with caplog.at_level(logging.ERROR, logger="kiosk.app"):
        kiosk.clock.now += 61.0
        await kiosk.app.step()
        await kiosk.app.settle()
        await kiosk.app.step()
    assert any("is a display token (board-A), not a kiosk's" in r.getMessage() for r in caplog.records)


async def test_a_missing_device_file_printer_issues_nothing(hub, make_kiosk, tmp_path):
    """Tried: a kiosk printing to a device file that is not there (a USB printer unplugged:
    /dev/usb/lp0 gone; here a path in a folder that does not exist), then to one that is. Kept:
    the citizen gets 暂停取号 / 打印机未连接 and no ticket is issued (each confirm issued one that
    could not be printed); with the file there, the ticket is issued and its bytes written."""
    from kiosk.printing import TicketPrinter
    from printer_drivers import open_printer

    def printing_to(kiosk, path):  # type: ignore[no-untyped-def]
        dummy = kiosk.app.session.printer
        kiosk.app.session.printer = TicketPrinter(open_printer(f"file:{path}"), dummy.profile, dummy.layout)

    unplugged = make_kiosk()
    printing_to(unplugged, tmp_path / "unplugged" / "lp0")
    await unplugged.start()  # the start screen already says so (the printer is checked with each re-read)
    assert isinstance(unplugged.app.flow.screen, f.Closed) and "打印机未连接" in unplugged.texts()
    unplugged.app.flow.printer_problem = None  # unplugged after the check: refused at the confirm
    unplugged.app.flow.loaded(unplugged.app.flow.catalogue)
    unplugged.app.render()
    await issue_in_zone_c(unplugged)
    assert isinstance(unplugged.app.flow.screen, f.Notice) and "打印机未连接" in unplugged.texts()
    assert await hub.engine.tickets_today() == []

    plugged = make_kiosk()
    printing_to(plugged, tmp_path / "lp0")
    await plugged.start()
    await issue_in_zone_c(plugged)
    [ticket] = await hub.engine.tickets_today()
    assert ticket.number.encode() in (tmp_path / "lp0").read_bytes()


async def test_the_confirm_screen_says_when_no_window_serves_the_item(hub, make_kiosk):
    """Tried: choosing a zone C item before anyone works at a C window, then after W19 opens.
    Kept: the confirm screen says nobody serves it yet (it read "前面还有 0 人等候，预计等候约 0 分钟",
    which a citizen takes for "go now") and, once three wait, how many are ahead (it said only
    目前暂无窗口办理); then the estimate once a window is open."""
    kiosk = make_kiosk()
    await kiosk.start()
    await confirm_in_zone_c(kiosk)
    assert isinstance(kiosk.app.flow.screen, f.Confirm)
    assert "：目前暂无窗口办理" in kiosk.texts() and "约 0 分钟" not in kiosk.texts()
    # People already waiting are said too (only the ticket said them, after it was taken).
    for _ in range(3):
        await hub.engine.issue(IssueRequest(queue="C1"))
    kiosk.app.refresh()
    await kiosk.app.settle()
    await kiosk.app.step()
    assert isinstance(kiosk.app.flow.screen, f.Confirm)
    assert "前面还有 3 人等候，目前暂无窗口办理，取号后请留意叫号" in kiosk.texts(), kiosk.texts()
    response = await hub.client.post("/api/v1/windows/W19/login", json={}, headers=hub.auth("staff02"))
    assert response.status == 200
    kiosk.app.refresh()
    await kiosk.app.settle()
    await kiosk.app.step()
    assert "：前面还有 3 人等候，预计等候约" in kiosk.texts() and "暂无窗口" not in kiosk.texts()


async def test_the_next_citizen_sees_the_tickets_just_taken_here(hub, make_kiosk):
    """Tried: two C1 tickets taken at this kiosk, then a third citizen choosing the same item.
    Kept: the confirm screen counts the two (it said 前面还有 0 人 until the minute's re-read)."""
    r = await hub.client.post("/api/v1/windows/W19/login", json={}, headers=hub.auth("staff02"))
    assert r.status == 200
    kiosk = make_kiosk()
    await kiosk.start()
    for _ in range(2):
        await issue_in_zone_c(kiosk)
        assert isinstance(kiosk.app.flow.screen, f.TicketOut)
        await kiosk.tap("完成")
        await kiosk.app.step()  # the next frame re-reads the counts
        await kiosk.app.settle()
    await confirm_in_zone_c(kiosk)
    assert "前面还有 2 人等候" in kiosk.texts(), kiosk.texts()


async def test_the_confirm_screen_warns_when_the_wait_runs_past_closing(hub, make_kiosk, clock):
    """Tried: 16:40 (closing 17:30, issuing until 17:00), eight C1 tickets ahead at one open window
    (8 x 8 min = 64 min > 50 left). Kept: before the citizen confirms, the kiosk says they may
    not be served today (it said only 预计等候约 64 分钟, and the ticket was auto-closed at night)."""
    clock.set(at("16:40"))
    await c1_tickets_at_an_open_window(hub, 8)
    kiosk = make_kiosk()
    await kiosk.start()
    await confirm_in_zone_c(kiosk)
    assert "预计等候约 64 分钟" in kiosk.texts() and "今天下班前可能轮不到" in kiosk.texts()
    clock.set(at("09:00"))  # the same line in the morning: no warning
    kiosk.app.refresh()
    await kiosk.app.settle()
    await kiosk.app.step()
    assert "今天下班前可能轮不到" not in kiosk.texts()


async def test_search_by_pinyin_initials_on_the_letter_keyboard(hub, make_kiosk):
    """Tried: a citizen in zone C touching the search box, then B, D, C, 删除, C and 收起键盘 on the
    on-screen keyboard. Kept: the box opens a letter keyboard (it read 输入事项名称搜索 and took no
    touch: a kiosk has no input method), every service shown has those initials in its name's
    pinyin (不动产 -> BDC), and the search stays when the keyboard closes."""
    kiosk = make_kiosk()
    await kiosk.start()
    await kiosk.tap(C1_ITEM_ZONE)
    await kiosk.tap("点此按拼音首字母搜索（如 不动产→BDC）")
    assert kiosk.app.flow.screen.keyboard and "Q" in [b.label for b in kiosk.app.painter.buttons]
    for key in ("B", "D", "C", "删除", "C"):
        await kiosk.tap(key)
    assert kiosk.app.flow.screen.search == "BDC"
    shown = [b.label for b in kiosk.app.painter.buttons if b.action[0] == "service"]
    assert shown and all("不动产" in name for name in shown), shown
    catalogue = kiosk.app.flow.catalogue
    assert {s.name for s in catalogue.ranked("C", "bdc")} == {s.name for s in catalogue.ranked("C") if "BDC" in s.initials}
    await kiosk.tap("收起键盘")
    assert not kiosk.app.flow.screen.keyboard and kiosk.app.flow.screen.search == "BDC"
    assert "Q" not in [b.label for b in kiosk.app.painter.buttons] and "搜索：BDC" in kiosk.texts()
    for button in kiosk.app.painter.buttons:
        assert kiosk.app.surface.get_rect().contains(button.rect), button.label


async def test_an_item_found_across_all_zones_tells_its_zone(hub, make_kiosk):
    """Tried: a citizen who knows their item but not which of the ten zones handles it. Kept:
    查找事项 on the start screen searches every zone's items by pinyin initials (only a zone's
    own list could be searched), each result names its zone, 返回上一步 from the confirm screen
    keeps the search, and the ticket is for that item's queue, to wait in its zone."""
    kiosk = make_kiosk()
    await kiosk.start()
    wanted = next(s for s in kiosk.app.flow.catalogue.services["D"] if len(s.initials) >= 4)
    await kiosk.tap("查找事项")
    for letter in wanted.initials[:SEARCH_MAX]:
        await kiosk.tap(letter)
    found = kiosk.button(wanted.name)
    assert "社保医保服务区" in kiosk.texts()
    await kiosk.tap(found.label)
    assert isinstance(kiosk.app.flow.screen, f.Confirm) and "社保医保服务区" in kiosk.texts()
    await kiosk.tap("返回上一步")
    assert kiosk.app.flow.screen == f.Services(f.ALL_ZONES, search=wanted.initials[:SEARCH_MAX], keyboard=True)
    await kiosk.tap(wanted.name)
    await kiosk.tap("确认取号")
    ticket = (await hub.engine.tickets_today())[0]
    assert ticket.queue == wanted.queue and ticket.item_code == wanted.code
    assert "请到社保医保服务区等候" in kiosk.texts()


async def test_items_that_begin_with_the_typed_initials_come_first(hub, make_kiosk):
    """Tried: 查找事项, Y and B for 医保. Kept: the items whose initials begin with YB (医保…) come
    first; the 母婴保健 items (MYBJ: YB inside) filled the first page and the 医保 ones came later."""
    kiosk = make_kiosk()
    await kiosk.start()
    await kiosk.tap("查找事项")
    await kiosk.tap("Y")
    await kiosk.tap("B")
    shown = [b.label for b in kiosk.app.painter.buttons if b.action[0] == "service"]
    found = kiosk.app.flow.catalogue.search_all("YB")
    starting = [s.name for s in found if s.initials.startswith("YB")]
    assert starting and shown[:len(starting)] == starting and all(name.startswith("医保") for name in starting), shown
    assert len(found) > len(starting)  # 母婴保健 is still found, after them


def test_pinyin_initials_of_item_names():
    from kiosk.catalogue import pinyin_initials

    assert pinyin_initials("不动产转移登记（二手房）") == "BDCZYDJESF"
    assert pinyin_initials("居民身份证跨省通办") == "JMSFZKSTB"
    assert pinyin_initials("A类企业开办") == "ALQYKB"


async def test_a_booked_citizen_checks_in_at_the_kiosk_after_issuing_stops(hub, make_kiosk, clock, tmp_path):
    """Tried: 17:05 on a winter Thursday (issuing stops at 17:00, the hall serves until 17:30),
    citizens booked for 16:45-17:15. It was: 暂停取号 with no way to check in, a scanned code
    ignored: they were sent away though the hub takes their check-in. Kept: the closed screen
    says booked citizens can still check in and offers 预约签到; the keypad and a scanner check
    in; no zone is offered to a walk-in; 完成 comes back to the same closed screen."""
    for code in ("20261701", "20261702"):
        r = await hub.client.post("/api/v1/appointments", headers=hub.auth("manager"), json={
            "code": code, "day": "2026-11-26", "queue": "C1", "slot_start": "16:45", "slot_end": "17:15"})
        assert r.status == 201, await r.text()
    clock.set(at("17:05"))
    kiosk = make_kiosk()
    await kiosk.start()
    assert isinstance(kiosk.app.flow.screen, f.Closed), kiosk.texts()
    pygame.image.save(kiosk.app.surface, str(tmp_path / "closed_check_in.png"))
    assert "已停止取号" in kiosk.texts() and "已预约的群众仍可签到" in kiosk.texts()
    assert C1_ITEM_ZONE not in [b.label for b in kiosk.app.painter.buttons]
    assert kiosk.app.surface.get_rect().contains(kiosk.button("预约签到").rect)
    await kiosk.tap("预约签到")
    for digit in "20261701":
        await kiosk.tap(digit)
    await kiosk.tap("签到取号")
    assert isinstance(kiosk.app.flow.screen, f.TicketOut), kiosk.texts()
    await kiosk.tap("完成")
    assert isinstance(kiosk.app.flow.screen, f.Closed) and kiosk.app.flow.screen.check_in
    await wedge_scan(kiosk, "20261702")
    assert isinstance(kiosk.app.flow.screen, f.TicketOut), kiosk.texts()
    assert [t.appointment and t.priority for t in await hub.engine.tickets_today()] == [True, True]
