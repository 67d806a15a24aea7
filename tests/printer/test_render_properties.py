"""Property: any ticket renders, and the paper shows its fields as documented in gbtext."""

from __future__ import annotations

from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from printer_drivers import LayoutError, TicketLayout, TicketPrint, get_profile, render_ticket
from printer_drivers.escpos_reader import read
from printer_drivers.gbtext import sanitize, single_line

CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
TEXT = st.text(st.one_of(CJK, st.characters()), max_size=40)

tickets = st.builds(
    TicketPrint,
    hall_name=TEXT,
    zone_name=TEXT,
    service_name=TEXT,
    number=st.text(st.sampled_from("ABCDEFGHJK0123456789"), min_size=1, max_size=8),
    people_ahead=st.integers(0, 10_000),
    estimated_wait_min=st.none() | st.integers(0, 600),
    issued_at=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)),
    priority=st.booleans(),
    appointment=st.booleans(),
    notice=TEXT,
    status_url=st.text(max_size=120),
    window_hint=st.none() | TEXT,
)


def _joined(doc_text: str) -> str:
    """The printed text as one run, without spaces: a line ends at its last mark (the spaces it
    broke after are not sent, or the printer would centre them too)."""
    return doc_text.replace("\n", "").replace(" ", "")


def _bare(text: str) -> str:
    return text.replace("\n", "").replace(" ", "")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tickets, st.sampled_from(["TM-T88", "XP-80C", "POS-5890"]), TEXT)
def test_random_tickets_render_and_read_back(ticket: TicketPrint, name: str, header: str) -> None:
    profile = get_profile(name)
    layout = TicketLayout(header=header, footer="谢谢", paper_width_mm=profile.paper_width_mm)
    try:
        data = render_ticket(ticket, layout, profile)
    except LayoutError as exc:  # the only documented refusal: a QR that cannot fit
        assert "status_url" in str(exc)
        return
    doc = read(data)
    text = _joined(doc.text)
    for field in (ticket.hall_name, f"{ticket.zone_name}  {ticket.service_name}",
                  f"前面还有 {ticket.people_ahead} 人等候"):
        assert _bare(single_line(field)) in text
    assert _bare(sanitize(ticket.notice)) in text
    assert _bare(sanitize(header)) in text
    assert not [line.text for line in doc.lines if line.text.endswith(" ")]
    number_lines = [line for line in doc.lines if line.width == profile.number_scale]
    assert "".join(line.text for line in number_lines) == single_line(ticket.number)
    if ticket.status_url and profile.has_native_qr:
        assert [q.payload for q in doc.qr_codes] == [ticket.status_url]
    assert bool(doc.cuts) == profile.has_cutter
