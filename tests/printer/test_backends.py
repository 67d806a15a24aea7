"""Backends over real transports: a file, a pseudo-terminal, a TCP socket, and the dummy."""

from __future__ import annotations

import socket

import pytest

from printer_drivers import (
    DummyBackend,
    FileBackend,
    NetworkBackend,
    PrinterConfigError,
    PrinterOffline,
    PrinterScript,
    PrinterState,
    SerialBackend,
    UsbBackend,
    get_profile,
    open_printer,
    print_ticket,
    query_status,
)
from printer_drivers.escpos_reader import read
from tests.read_only_file import read_only_file
from tests.printer.samples import STATUS_URL, pty_printer, sample_layout, sample_ticket, tcp_printer


@pytest.mark.parametrize(
    ("spec", "kind", "attrs"),
    [
        ("usb:04b8:0x0202", UsbBackend, {"vendor_id": 0x04B8, "product_id": 0x0202}),
        ("serial:/dev/ttyUSB0?baud=19200", SerialBackend, {"url": "/dev/ttyUSB0"}),
        ("serial:socket://10.0.0.5:4001?baud=9600&logging=debug", SerialBackend,
         {"url": "socket://10.0.0.5:4001?logging=debug"}),
        ("network:10.0.0.9", NetworkBackend, {"host": "10.0.0.9", "port": 9100}),
        ("network:[::1]:9101?timeout=2", NetworkBackend, {"host": "::1", "port": 9101}),
        ("file:/dev/usb/lp0", FileBackend, {"path": "/dev/usb/lp0"}),
        ("dummy:", DummyBackend, {}),
    ],
)
def test_spec_strings_choose_the_backend(spec: str, kind: type, attrs: dict) -> None:
    backend = open_printer(spec)
    assert type(backend) is kind and backend.spec == spec
    for key, value in attrs.items():
        assert getattr(backend, key) == value


def test_serial_options_reach_the_port() -> None:
    backend = open_printer("serial:/dev/ttyS1?baud=19200&timeout=0.2&flow=rtscts")
    assert (backend.printer.baudrate, backend.printer.timeout, backend.printer.flow) == (
        19200, 0.2, "rtscts")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("lpt:1", "must start with one of"),
        ("usb:04b8", "usb:VID:PID"),
        ("usb:zz:01", "hexadecimal"),
        ("serial:", "missing port"),
        ("serial:/dev/ttyS0?baud=fast", "not a number"),
        ("serial:/dev/ttyS0?flow=magic", "flow="),
        ("network::9100", "missing host"),
        ("network:host:99999", "out of range"),
        ("network:host?colour=red", "unknown option"),
        ("file:", "missing path"),
        ("dummy:?paper=wet", "paper="),
        ("dummy:?offline=maybe", "offline="),
    ],
)
def test_bad_specs_name_the_problem(spec: str, message: str) -> None:
    """Tried: a mistyped device configuration. Kept: nothing opened; the error quotes the spec."""
    with pytest.raises(PrinterConfigError, match=message) as info:
        open_printer(spec)
    assert spec in info.value.message_en and info.value.message_zh


def test_file_backend_writes_the_ticket(tmp_path) -> None:
    path = tmp_path / "lp0"
    backend = open_printer(f"file:{path}")
    result = print_ticket(backend, sample_ticket(), sample_layout(80), get_profile("TM-T88"))
    backend.close()
    assert not result.verified and result.status_before is None  # a file cannot answer
    assert query_status(backend).state is PrinterState.UNKNOWN
    doc = read(path.read_bytes())
    assert doc.find_line("A1001").width == 3 and doc.qr_codes[0].payload == STATUS_URL


def test_file_backend_unwritable_path_is_offline(tmp_path) -> None:
    backend = open_printer(f"file:{tmp_path}/missing-dir/lp0")
    with pytest.raises(PrinterOffline, match="missing-dir"):
        backend.send(b"\x1b@")


def test_a_file_printer_the_kiosk_cannot_write_is_missing_before_any_ticket(tmp_path) -> None:
    """Tried: `--printer file:` naming a folder, and a device file of another group (the kiosk's
    user not in `lp`). The kiosk said the printer was ready and issued numbers that could not be
    printed. Kept: a plain file in a writable folder, and the file itself, untouched."""
    assert open_printer(f"file:{tmp_path}").missing() == f"{tmp_path}: is a folder, not a printer's device file"
    with read_only_file(tmp_path, "lp0") as device:  # a printer of the group lp, the kiosk's user outside it
        why = open_printer(f"file:{device}").missing()
    assert why is not None and why.startswith(f"{device}: this user may not write it") and "lp" in why
    assert open_printer(f"file:{tmp_path / 'lp0'}").missing() is None
    assert not (tmp_path / "lp0").exists()


def test_serial_backend_over_a_pty_prints_and_reads_status() -> None:
    with pty_printer(PrinterScript(paper="near_end")) as (device, printer):
        backend = open_printer(f"serial:{device}?baud=19200&timeout=1")
        result = print_ticket(backend, sample_ticket(), sample_layout(58), get_profile("POS-5890"))
        backend.close()
    assert result.verified
    assert result.status_before.state is PrinterState.PAPER_NEAR_END
    assert result.warning_zh == "打印纸即将用完，请通知工作人员"
    assert printer.model.status_requests == [1, 2, 3, 4, 1, 2, 3, 4]
    doc = read(bytes(printer.model.printed))
    assert doc.find_line("A1001").width == 2 and doc.images and not doc.cuts


def test_serial_backend_reports_cover_open_from_the_wire() -> None:
    with pty_printer(PrinterScript(cover_open=True)) as (device, printer):
        backend = open_printer(f"serial:{device}?timeout=1")
        status = query_status(backend)
        backend.close()
    assert status.state is PrinterState.COVER_OPEN and status.raw[1] == 0x16


def test_serial_printer_that_never_answers_is_offline() -> None:
    with pty_printer(PrinterScript(offline=True)) as (device, printer):
        backend = open_printer(f"serial:{device}?timeout=0.1")
        status = query_status(backend)
        backend.close()
    assert status.state is PrinterState.OFFLINE and printer.model.status_requests == [1]


def test_serial_port_that_does_not_exist_is_offline() -> None:
    backend = open_printer("serial:/dev/hallq-no-such-tty")
    with pytest.raises(PrinterOffline, match="hallq-no-such-tty"):
        query_status(backend)


def test_network_backend_against_a_local_tcp_printer() -> None:
    with tcp_printer() as (port, printer):
        backend = open_printer(f"network:127.0.0.1:{port}?status_timeout=1")
        result = print_ticket(backend, sample_ticket(), sample_layout(80), get_profile("XP-80C"))
        backend.close()
    assert result.verified and result.status_after.state is PrinterState.READY
    doc = read(bytes(printer.model.printed))
    assert doc.qr_codes[0].payload == STATUS_URL and doc.cuts


def test_network_printer_refusing_connections_is_offline() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound but not listening: connection refused
        backend = open_printer(f"network:127.0.0.1:{port}?timeout=1")
        with pytest.raises(PrinterOffline) as info:
            print_ticket(backend, sample_ticket(), sample_layout(80), get_profile("XP-80C"))
    assert info.value.message_zh == "打印机未连接，请联系工作人员"


def test_network_backend_reconnects_after_a_failure() -> None:
    with tcp_printer() as (port, printer):
        backend = open_printer(f"network:127.0.0.1:{port}")
        backend.send(b"\x1b@first\n")
        backend.printer.device.close()  # the link drops under us
        with pytest.raises(PrinterOffline):
            backend.send(b"lost\n")
        backend.send(b"\x1b@second\n")  # reopened on the next call
        assert printer.wait_for(b"second")
        backend.close()
    assert b"first" in printer.received and b"lost" not in printer.received


def test_usb_backend_without_device_is_offline() -> None:
    """Tried: a USB printer that is not plugged in. It was: "Unable to open USB printer on (1208,
    514)", python-escpos' decimal ids, which no technician matches to 04b8:0202. Kept: offline,
    the ids as lsusb prints them, and what to check."""
    backend = open_printer("usb:04b8:0e28")
    with pytest.raises(PrinterOffline, match="usb:04b8:0e28") as raised:
        backend.send(b"\x1b@")
    message = str(raised.value)
    assert "no USB device 04b8:0e28 on this PC: is the printer plugged in and switched on?" in message
    assert "1208" not in message


def test_usb_printer_there_but_not_allowed_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tried: a USB printer the kiosk's user may not open (libusb answers access denied: no udev
    rule). It was, for a moment: "no USB device ... is the printer plugged in?", sending the
    technician to the cable (python-escpos names both failures DeviceNotFoundError). Kept: offline,
    the device named as lsusb names it, and libusb's own reason."""
    import usb.core

    def denied(**_kwargs: object) -> None:
        raise usb.core.USBError("Access denied (insufficient permissions)", errno=13)

    monkeypatch.setattr(usb.core, "find", denied)
    backend = open_printer("usb:04b8:0e28")
    with pytest.raises(PrinterOffline) as raised:
        backend.send(b"\x1b@")
    message = str(raised.value)
    assert "USB device 04b8:0e28 is there but could not be opened: [Errno 13] Access denied (insufficient permissions)" in message
    assert "plugged in" not in message
