"""Backend spec strings, as a technician writes them in the device configuration.

=================================  ==========================================================
``usb:04b8:0202``                  USB vendor:product id, hex (``0x`` prefix allowed)
``serial:/dev/ttyUSB0?baud=19200`` any pyserial URL (``socket://host:4001``, ``rfc2217://``,
                                   ``loop://``); options ``baud``, ``timeout`` (s, status reply
                                   wait), ``write_timeout`` (s), ``flow`` (none|xonxoff|rtscts|
                                   dsrdtr); other query keys stay on the pyserial URL
``network:10.0.0.9[:9100]``        raw TCP; ``[::1]:9100`` for IPv6; options ``timeout``,
                                   ``status_timeout``
``file:/dev/usb/lp0``              write-only device or file (status unknown)
``dummy:``                         in-memory scripted printer; options ``paper`` (ok|near_end|
                                   out), ``cover`` (open|closed), ``offline``, ``error``,
                                   ``fail`` (1/0), ``paper_bytes`` (paper left, in bytes)
=================================  ==========================================================
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeGuard, get_args
from urllib.parse import parse_qsl, urlencode

from printer_drivers.backends import (
    FLOW_CONTROLS,
    DummyBackend,
    FileBackend,
    NetworkBackend,
    PrinterBackend,
    SerialBackend,
    UsbBackend,
)
from printer_drivers.errors import PrinterConfigError
from printer_drivers.simulator import Paper, PrinterScript


def _bad(spec: str, reason: str) -> PrinterConfigError:
    return PrinterConfigError(f"printer spec {spec!r}: {reason}")


def _split_query(body: str) -> tuple[str, dict[str, str]]:
    target, _, query = body.partition("?")
    return target, dict(parse_qsl(query, keep_blank_values=True))


def _number(spec: str, options: dict[str, str], key: str, default: float) -> float:
    raw = options.pop(key, None)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise _bad(spec, f"{key}={raw!r} is not a number") from None
    if value <= 0:
        raise _bad(spec, f"{key} must be > 0, got {raw}")
    return value


def _no_leftovers(spec: str, options: dict[str, str]) -> None:
    if options:
        raise _bad(spec, f"unknown option(s) {sorted(options)}")


def _flag(spec: str, options: dict[str, str], key: str) -> bool:
    raw = options.pop(key, "0")
    if raw not in ("0", "1", "true", "false"):
        raise _bad(spec, f"{key}={raw!r} must be 1 or 0")
    return raw in ("1", "true")


def _usb(spec: str, body: str) -> PrinterBackend:
    target, options = _split_query(body)
    parts = target.split(":")
    if len(parts) != 2:
        raise _bad(spec, "expected usb:VID:PID in hex, e.g. usb:04b8:0202")
    try:
        vid, pid = (int(p, 16) for p in parts)
    except ValueError:
        raise _bad(spec, "vendor and product ids must be hexadecimal") from None
    timeout = _number(spec, options, "timeout", 2.0)
    _no_leftovers(spec, options)
    return UsbBackend(spec, vid, pid, timeout=int(timeout * 1000))


def _serial(spec: str, body: str) -> PrinterBackend:
    target, options = _split_query(body)
    if not target:
        raise _bad(spec, "missing port, e.g. serial:/dev/ttyUSB0?baud=19200")
    baud = _number(spec, options, "baud", 9600)
    if baud != int(baud):
        raise _bad(spec, f"baud must be a whole number, got {baud}")
    timeout = _number(spec, options, "timeout", 0.5)
    write_timeout = _number(spec, options, "write_timeout", 10.0)
    flow = options.pop("flow", "none")
    if flow not in FLOW_CONTROLS:
        raise _bad(spec, f"flow={flow!r} must be one of {', '.join(FLOW_CONTROLS)}")
    url = f"{target}?{urlencode(options)}" if options else target  # pyserial's own options
    return SerialBackend(spec, url, baudrate=int(baud), timeout=timeout,
                         write_timeout=write_timeout, flow=flow)


def _network(spec: str, body: str) -> PrinterBackend:
    target, options = _split_query(body)
    if target.startswith("["):
        host, _, rest = target[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
        if rest and not rest.startswith(":"):
            raise _bad(spec, "expected [IPv6]:PORT")
    else:
        host, _, port_text = target.partition(":")
    if not host:
        raise _bad(spec, "missing host, e.g. network:10.0.0.9:9100")
    try:
        port = int(port_text) if port_text else 9100
    except ValueError:
        raise _bad(spec, f"port {port_text!r} is not a number") from None
    if not 0 < port < 65536:
        raise _bad(spec, f"port {port} out of range")
    timeout = _number(spec, options, "timeout", 5.0)
    status_timeout = _number(spec, options, "status_timeout", 0.5)
    _no_leftovers(spec, options)
    return NetworkBackend(spec, host, port, timeout=timeout, status_timeout=status_timeout)


def _file(spec: str, body: str) -> PrinterBackend:
    if not body:
        raise _bad(spec, "missing path, e.g. file:/dev/usb/lp0")
    return FileBackend(spec, body)


def _is_paper(value: str) -> TypeGuard[Paper]:
    return value in get_args(Paper)  # "ok", "near_end" or "out"


def _dummy(spec: str, body: str) -> PrinterBackend:
    target, options = _split_query(body)
    if target:
        raise _bad(spec, "dummy takes only options, e.g. dummy:?paper=out")
    paper = options.pop("paper", "ok")
    if not _is_paper(paper):
        raise _bad(spec, f"paper={paper!r} must be ok, near_end or out")
    cover = options.pop("cover", "closed")
    if cover not in ("open", "closed"):
        raise _bad(spec, f"cover={cover!r} must be open or closed")
    paper_bytes = options.pop("paper_bytes", None)
    if paper_bytes is not None and not paper_bytes.isdigit():
        raise _bad(spec, f"paper_bytes={paper_bytes!r} must be a whole number")
    script = PrinterScript(
        paper=paper,
        cover_open=cover == "open",
        offline=_flag(spec, options, "offline"),
        error=_flag(spec, options, "error"),
        fail_send=_flag(spec, options, "fail"),
        paper_left_bytes=int(paper_bytes) if paper_bytes is not None else None,
    )
    _no_leftovers(spec, options)
    return DummyBackend(spec, script)


_KINDS: dict[str, Callable[[str, str], PrinterBackend]] = {
    "usb": _usb,
    "serial": _serial,
    "network": _network,
    "file": _file,
    "dummy": _dummy,
}


def open_printer(spec: str) -> PrinterBackend:
    """The backend for ``spec``. Raises :class:`PrinterConfigError` naming what is wrong.

    Nothing is opened yet: the connection opens on first use, so a printer switched on after the
    kiosk started still works.
    """
    kind, sep, body = spec.partition(":")
    if not sep or kind not in _KINDS:
        raise _bad(spec, f"must start with one of {', '.join(k + ':' for k in _KINDS)}")
    return _KINDS[kind](spec, body)
