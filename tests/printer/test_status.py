"""DLE EOT status bytes to states, and the simulator's answers to them."""

from __future__ import annotations

import pytest

from printer_drivers import (
    CoverOpen,
    PaperOut,
    PrinterFault,
    PrinterModel,
    PrinterOffline,
    PrinterScript,
    PrinterState,
    PrinterStatus,
)


@pytest.mark.parametrize(
    ("raw", "state"),
    [
        ((0x12, 0x12, 0x12, 0x12), PrinterState.READY),
        ((0x12, 0x12, 0x12, 0x1E), PrinterState.PAPER_NEAR_END),
        ((0x1A, 0x32, 0x12, 0x72), PrinterState.PAPER_OUT),
        ((0x1A, 0x16, 0x12, 0x12), PrinterState.COVER_OPEN),
        ((0x1A, 0x52, 0x1A, 0x12), PrinterState.ERROR),  # autocutter jam
        ((0x12, 0x12, 0x32, 0x12), PrinterState.ERROR),  # unrecoverable error
        ((0x1A, 0x12, 0x12, 0x12), PrinterState.OFFLINE),  # offline, no cause given
        ((None, None, None, None), PrinterState.OFFLINE),  # no answer at all
        ((0xFF, 0x12, 0x12, 0x12), PrinterState.ERROR),  # noise: fixed bits wrong
        ((0x12, None, None, 0x12), PrinterState.READY),  # printer that skips n=2,3
    ],
)
def test_status_bytes_to_state(raw: tuple, state: PrinterState) -> None:
    status = PrinterStatus(raw)
    assert status.state is state
    assert status.printable == (state in (PrinterState.READY, PrinterState.PAPER_NEAR_END))
    assert status.chinese_message


def test_flags_and_messages() -> None:
    status = PrinterStatus((0x16, 0x12, 0x1A, 0x1E))
    assert status.drawer_pin3_high and status.autocutter_error and status.paper_near_end
    assert status.state is PrinterState.ERROR
    assert "16 12 1a 1e" in status.english_message
    assert status.chinese_message == "打印机故障，请联系工作人员"
    assert PrinterStatus.unknown().state is PrinterState.UNKNOWN


@pytest.mark.parametrize(
    ("script", "error"),
    [
        (PrinterScript(paper="out"), PaperOut),
        (PrinterScript(cover_open=True), CoverOpen),
        (PrinterScript(error=True), PrinterFault),
    ],
)
def test_simulator_answers_map_to_errors(script: PrinterScript, error: type) -> None:
    model = PrinterModel(script)
    replies = model.receive(b"\x10\x04\x01\x10\x04\x02\x10\x04\x03\x10\x04\x04")
    status = PrinterStatus(tuple(replies))
    exc = status.to_error("test")
    assert type(exc) is error and exc.status is status and exc.message_zh == status.chinese_message


def test_simulator_splits_requests_across_chunks_and_keeps_print_data() -> None:
    model = PrinterModel()
    assert model.receive(b"AB\x10") == b""
    assert model.receive(b"\x04") == b""
    assert model.receive(b"\x04CD") == bytes([0x12])
    model.flush()
    assert bytes(model.printed) == b"ABCD" and model.status_requests == [4]


def test_offline_simulator_answers_nothing_and_prints_nothing() -> None:
    model = PrinterModel(PrinterScript(offline=True))
    assert model.receive(b"ticket\x10\x04\x01") == b""
    assert bytes(model.printed) == b"" and bytes(model.discarded) == b"ticket"
    assert isinstance(PrinterStatus((None, None, None, None)).to_error("x"), PrinterOffline)
