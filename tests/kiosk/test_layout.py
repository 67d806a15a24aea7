"""The ticket layout file: the hall's header and footer reach the printed bytes; mistakes are named."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from kiosk.layout import LayoutFileError, load_layout
from kiosk.session import TICKET_NOTICE
from printer_drivers import TicketPrint, get_profile
from printer_drivers.escpos_reader import read
from printer_drivers.render import render_ticket

SHIPPED = Path(__file__).resolve().parents[2] / "config" / "ticket.toml"


def ticket() -> TicketPrint:
    return TicketPrint(
        hall_name="茶陵县政务服务中心", zone_name="不动产登记区", service_name="不动产登记", number="C1001",
        people_ahead=3, estimated_wait_min=12, issued_at=datetime(2026, 11, 26, 9, 15), priority=False,
        appointment=False, notice=TICKET_NOTICE, status_url="http://127.0.0.1:8080/t/abc", window_hint=None,
    )


@pytest.mark.parametrize("model", ["XP-80C", "POS-5890"])
def test_shipped_layout_header_and_footer_are_printed(model: str) -> None:
    """Tried: the shipped layout on 80 mm and 58 mm paper, with the kiosk's own notice. Kept: the
    footer's lines whole on both (58 mm broke "…重新" / "排队"), the hall's name once, and one
    instruction for a late citizen (the notice said 到窗口咨询, the footer 到窗口重新排队)."""
    profile = get_profile(model)
    layout = load_layout(SHIPPED, profile.paper_width_mm)
    text = "\n".join(line.text for line in read(render_ticket(ticket(), layout, profile)).lines)
    assert "欢迎光临" in text and "请妥善保管此票" in text
    assert text.count("茶陵县政务服务中心") == 1, "the hall's name once: the header does not repeat it"
    footer_lines = [line for line in text.splitlines() if line in ("请妥善保管此票", "扫描二维码查看进度、评价服务")]
    assert footer_lines == ["请妥善保管此票", "扫描二维码查看进度、评价服务"]  # none broken across lines
    assert text.replace("\n", "").count("过号") == 1
    assert layout.paper_width_mm == profile.paper_width_mm, "the width follows the printer profile unless the file says otherwise"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('header = "x"\ncolour = "red"\n', "colour"),
        ("paper_width_mm = 70\n", "paper_width_mm"),
        ('logo_path = "missing.png"\n', "logo_path"),
        ("header = \n", "TOML syntax error"),
    ],
)
def test_layout_mistakes_name_the_key(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "ticket.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(LayoutFileError) as error:
        load_layout(path, 80)
    assert "ticket.toml" in str(error.value) and expected in str(error.value)


def test_a_kiosk_with_a_layout_wider_than_its_paper_does_not_start(tmp_path: Path) -> None:
    """Tried: a ticket.toml for 80 mm paper on a kiosk whose printer profile is the 58 mm
    POS-5890. It was: the kiosk started, and every ticket was then issued and not printed (the
    layout refused at print time). Kept: building the kiosk refuses it, saying why (`main` logs
    a PrinterError as "printer configuration: …" and exits 2 before showing a screen)."""
    import pygame

    from kiosk.app import build, parse_args
    from printer_drivers.errors import LayoutError

    layout = tmp_path / "ticket.toml"
    layout.write_text('header = "欢迎光临"\nfooter = "请妥善保管此票"\npaper_width_mm = 80\n', encoding="utf-8")
    options = parse_args(["--hub", "http://127.0.0.1:9", "--token", "t", "--printer", "dummy:", "--demo",
                          "--profile", "POS-5890", "--layout", str(layout)])
    with pytest.raises(LayoutError, match="layout is for 80 mm paper but printer profile 'POS-5890' has 58 mm"):
        build(options, pygame.Surface((8, 8)))
    layout.write_text('header = "欢迎光临"\nfooter = "请妥善保管此票"\npaper_width_mm = 58\n', encoding="utf-8")
    assert build(options, pygame.Surface((8, 8))).session.printer.layout.paper_width_mm == 58
