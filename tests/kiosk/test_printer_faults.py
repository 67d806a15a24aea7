"""What the technician reads when the kiosk's printer cannot print, or soon will not."""
from __future__ import annotations

import logging
import socket

import pytest

from kiosk import flow as f
from kiosk.printing import TicketPrinter
from printer_drivers import open_printer
from tests.kiosk.test_kiosk_flow import issue_in_zone_c


def printing_to(kiosk, spec: str) -> None:  # type: ignore[no-untyped-def]
    """The kiosk's printer swapped for a real transport (the factory makes in-memory ones)."""
    dummy = kiosk.app.session.printer
    kiosk.app.session.printer = TicketPrinter(open_printer(spec), dummy.profile, dummy.layout)


def closed_loopback_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again: nothing listens there


@pytest.mark.parametrize("transport", ["serial", "network", "usb"])
async def test_a_printer_that_cannot_be_reached_is_logged_with_its_cause(hub, make_kiosk, tmp_path, caplog, transport):
    """Tried: a kiosk on a serial port that does not exist (a USB adapter unplugged), on a
    network printer whose port refuses and on a USB printer that is not plugged in. Kept: the citizen reads 暂停取号 / 打印机未连接, and the log
    line says why in English, naming the port (it said only 打印机未连接，请联系工作人员)."""
    spec, cause = {
        "serial": (f"serial:{tmp_path / 'ttyUSB9'}", f"could not open port {tmp_path / 'ttyUSB9'}"),
        "network": (f"network:127.0.0.1:{closed_loopback_port()}?timeout=2", "Connection refused"),
        "usb": ("usb:ffff:fffe", "no USB device ffff:fffe on this PC"),  # no such device here
    }[transport]
    kiosk = make_kiosk()
    printing_to(kiosk, spec)
    with caplog.at_level(logging.WARNING, logger="kiosk.app"):
        await kiosk.start()
    assert isinstance(kiosk.app.flow.screen, f.Closed) and "打印机未连接" in kiosk.texts()
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("printer cannot print")]
    assert spec.split("?")[0] in line and cause in line, line


async def test_a_kiosk_without_libusb_says_what_to_install(hub, make_kiosk, monkeypatch, caplog):  # type: ignore[no-untyped-def]
    """Tried: a USB printer on a kiosk PC installed without the system's libusb (here: pyusb's
    three backends find no library, as on such a PC). It was: "NoBackendError: No backend
    available", which says nothing of what to install. Kept: the citizen reads 暂停取号 /
    打印机未连接; the log names the printer and the package to install."""
    import usb.backend.libusb0
    import usb.backend.libusb1
    import usb.backend.openusb

    for backend in (usb.backend.libusb1, usb.backend.libusb0, usb.backend.openusb):
        monkeypatch.setattr(backend, "get_backend", lambda *args, **kwargs: None)
    kiosk = make_kiosk()
    printing_to(kiosk, "usb:04b8:0202")
    with caplog.at_level(logging.WARNING, logger="kiosk.app"):
        await kiosk.start()
    assert isinstance(kiosk.app.flow.screen, f.Closed) and "打印机未连接" in kiosk.texts()
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("printer cannot print")]
    assert "usb:04b8:0202" in line and "libusb is not installed" in line and "apt install libusb-1.0-0" in line, line


async def test_an_unprintable_status_is_logged_with_the_printers_answer(hub, make_kiosk, caplog):
    """Tried: a printer whose cover is open. Kept: the log has the English state and the status
    bytes it answered, beside the citizen's Chinese."""
    kiosk = make_kiosk("dummy:?cover=open")
    with caplog.at_level(logging.WARNING, logger="kiosk.app"):
        await kiosk.start()
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("printer cannot print")]
    assert "dummy:?cover=open: cover open (DLE EOT 1-4 replies:" in line and "打印机盖未关好" in line, line


async def test_paper_near_end_is_logged_once_a_roll_and_shown_after_the_ticket(hub, make_kiosk, caplog):
    """Tried: a printer reporting paper near end while two tickets are taken, then a new roll,
    then near end again. Kept: issuing goes on; one WARNING per low roll (not one per ticket or
    re-read), a line when the roll is changed; the ticket screen shows a small 打印纸即将用完 line
    that covers nothing (the printer's warning was dropped: no log, nothing on screen)."""
    kiosk = make_kiosk("dummy:?paper=near_end")

    def warnings() -> int:
        return sum(1 for r in caplog.records if "paper near end" in r.getMessage() and r.levelno == logging.WARNING)

    with caplog.at_level(logging.INFO, logger="kiosk"):
        await kiosk.start()
        assert isinstance(kiosk.app.flow.screen, f.Start) and warnings() == 1
        for _ in range(2):
            await issue_in_zone_c(kiosk)
            assert isinstance(kiosk.app.flow.screen, f.TicketOut), kiosk.texts()
            notice = [t for t in kiosk.app.painter.texts if t.text == "打印纸即将用完，请通知工作人员"]
            assert notice, kiosk.texts()
            others = [t.rect for t in kiosk.app.painter.texts if t is not notice[0]] + [b.rect for b in kiosk.app.painter.buttons]
            assert not any(notice[0].rect.colliderect(rect) for rect in others)
            await kiosk.tap("完成")
            kiosk.app.refresh()
            await kiosk.app.settle()
            await kiosk.app.step()
        assert warnings() == 1
        kiosk.printer.script.paper = "ok"  # a new roll
        kiosk.app.refresh()
        await kiosk.app.settle()
        assert any("paper no longer near end" in r.getMessage() for r in caplog.records)
        await issue_in_zone_c(kiosk)
        assert "打印纸即将用完" not in kiosk.texts()
        await kiosk.tap("完成")
        kiosk.printer.script.paper = "near_end"
        kiosk.app.refresh()
        await kiosk.app.settle()
        assert warnings() == 2
    assert len(await hub.engine.tickets_today()) == 3


async def test_the_technician_sees_the_kiosks_printer_at_the_hub(hub, make_kiosk):
    """Tried: a kiosk whose printer runs low on paper, then has its cover opened, then is fixed.
    Kept: each re-read tells the hub, and the technician's device status shows the kiosk as
    paper_near_end, then cover_open with the printer's answer, then ok (a kiosk out of paper was
    known only at the kiosk)."""
    kiosk = make_kiosk("dummy:?paper=near_end")

    async def seen() -> dict:  # type: ignore[type-arg]
        r = await hub.client.get("/api/v1/devices/status", headers=hub.auth("tech"))
        return next(d for d in (await r.json())["devices"] if d["name"] == "kiosk-1")

    await kiosk.start()
    assert (await seen())["state"] == "paper_near_end"
    kiosk.printer.script.paper, kiosk.printer.script.cover_open = "ok", True
    kiosk.app.refresh()
    await kiosk.app.settle()
    cover = await seen()
    assert cover["state"] == "cover_open" and "cover open" in cover["detail"], cover
    kiosk.printer.script.cover_open = False
    kiosk.app.refresh()
    await kiosk.app.settle()
    assert (await seen())["state"] == "ok"
    changes = [e.payload["state"] for e in await hub.engine.events_since(0) if e.kind == "device.state"]
    assert changes == ["paper_near_end", "cover_open", "ok"]


async def test_a_printer_that_never_answers_status_prints_when_the_kiosk_is_told_so(hub, caplog):  # type: ignore[no-untyped-def]
    """Tried: a serial printer that takes bytes and never answers DLE EOT (a cheap 58 mm printer,
    a cable without its return wire), on a real pseudo-terminal, started as `hallq kiosk` would.
    Seen: 暂停取号 for good, and the documented override (supports_status=False) reached no kiosk:
    --profile takes a name only. Kept: with --no-printer-status the kiosk starts issuing, and says
    in its log that paper is not checked; without it, the silence is still a printer offline."""
    import os

    import pygame

    from kiosk.app import build, parse_args
    from tests.kiosk.conftest import SIZE, Kiosk, TestClock

    master, slave = os.openpty()
    try:
        spec = f"serial:{os.ttyname(slave)}?timeout=0.2"
        pygame.display.init()
        surface = pygame.display.set_mode(SIZE)
        for flags, issuing in (([], False), (["--no-printer-status"], True)):
            options = parse_args(["--hub", hub.base_url, "--token", hub.tokens["kiosk"], "--printer", spec,
                                  "--profile", "POS-5890", "--windowed", *flags])
            with caplog.at_level(logging.WARNING, logger="kiosk.app"):
                app = build(options, surface)
            kiosk = Kiosk(app, None, TestClock())  # type: ignore[arg-type]
            try:
                await kiosk.start()
                readiness = await app.session.printer.readiness()
                assert readiness.ready is issuing, flags
                assert isinstance(app.flow.screen, f.Closed) is not issuing, kiosk.texts()
            finally:
                await app.settle()
                await app.session.hub.close()
                app.session.printer.backend.close()
        assert any("status not checked (--no-printer-status)" in r.getMessage() for r in caplog.records)
    finally:
        os.close(master)
        os.close(slave)
