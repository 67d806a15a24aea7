"""print_ticket: a caller can never believe an unprinted ticket was printed."""

from __future__ import annotations

import pytest

from printer_drivers import (
    CoverOpen,
    LayoutError,
    PaperOut,
    PrinterError,
    PrinterFault,
    PrinterOffline,
    PrinterState,
    get_profile,
    open_printer,
    print_ticket,
)
from printer_drivers.escpos_reader import read
from tests.printer.samples import STATUS_URL, sample_layout, sample_ticket

TM = get_profile("TM-T88")


def test_ready_dummy_prints_the_whole_ticket() -> None:
    backend = open_printer("dummy:")
    result = print_ticket(backend, sample_ticket(), sample_layout(80), TM)
    assert result.verified and result.number == "A1001" and result.warning_zh is None
    assert result.bytes_sent == len(backend.printed) and backend.discarded == b""
    doc = read(backend.printed)
    assert doc.qr_codes[0].payload == STATUS_URL and len(doc.cuts) == 1
    assert read(backend.received).status_requests == (1, 2, 3, 4, 1, 2, 3, 4)


@pytest.mark.parametrize(
    ("spec", "error", "message_zh"),
    [
        ("dummy:?paper=out", PaperOut, "打印纸已用完，请联系工作人员换纸"),
        ("dummy:?cover=open", CoverOpen, "打印机盖未关好，请联系工作人员"),
        ("dummy:?error=1", PrinterFault, "打印机故障，请联系工作人员"),
        ("dummy:?offline=1", PrinterOffline, "打印机未连接，请联系工作人员"),
    ],
)
def test_faults_found_before_sending_stop_the_ticket(spec: str, error: type,
                                                     message_zh: str) -> None:
    """Tried: printing to a faulty printer. Kept: no ticket byte sent; the error says why."""
    backend = open_printer(spec)
    with pytest.raises(error) as info:
        print_ticket(backend, sample_ticket(), sample_layout(80), TM)
    assert info.value.message_zh == message_zh
    assert "A1001" in info.value.message_en and spec in info.value.message_en
    assert backend.printed == b"" and backend.discarded == b""
    assert not read(backend.received).lines  # only status requests went out


def test_transport_failure_is_offline_not_success() -> None:
    backend = open_printer("dummy:?fail=1")
    with pytest.raises(PrinterOffline, match="scripted transport failure"):
        print_ticket(backend, sample_ticket(), sample_layout(80), TM)
    assert backend.printed == b""


def test_paper_running_out_during_the_job_is_reported() -> None:
    """Tried: a roll with 100 bytes of paper left. Kept: the printed part is recorded as such,
    and the caller gets PaperOut instead of a result."""
    backend = open_printer("dummy:?paper_bytes=100")
    with pytest.raises(PaperOut, match="may be incomplete") as info:
        print_ticket(backend, sample_ticket(), sample_layout(80), TM)
    assert info.value.status.state is PrinterState.PAPER_OUT
    assert len(backend.printed) == 100 and backend.discarded


def test_scripted_state_changes_between_tickets() -> None:
    backend = open_printer("dummy:")
    print_ticket(backend, sample_ticket(), sample_layout(80), TM)
    backend.script.paper = "out"
    with pytest.raises(PaperOut):
        print_ticket(backend, sample_ticket(number="A1002"), sample_layout(80), TM)
    backend.script.paper = "ok"  # staff changed the roll
    print_ticket(backend, sample_ticket(number="A1003"), sample_layout(80), TM)
    numbers = [line.text for line in read(backend.printed).lines if line.width == 3]
    assert numbers == ["A1001", "A1003"]


def test_profile_without_status_is_not_verified_and_sends_no_query() -> None:
    backend = open_printer("dummy:?paper=out")
    result = print_ticket(backend, sample_ticket(), sample_layout(80),
                          get_profile("XP-80C", supports_status=False))
    assert not result.verified and result.status_after is None
    assert read(backend.received).status_requests == ()


def test_layout_error_is_a_printer_error_and_sends_nothing() -> None:
    backend = open_printer("dummy:")
    with pytest.raises(PrinterError) as info:
        print_ticket(backend, sample_ticket(), sample_layout(80), get_profile("POS-5890"))
    assert isinstance(info.value, LayoutError) and backend.received == b""


def test_unknown_profile_or_field_is_a_config_error() -> None:
    with pytest.raises(PrinterError, match="unknown printer profile 'TM-X'"):
        get_profile("TM-X")
    with pytest.raises(PrinterError, match="cutter"):
        get_profile("TM-T88", cutter=True)
