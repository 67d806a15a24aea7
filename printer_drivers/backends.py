"""Printer backends: one small class per transport, one hook (``_raw``) to send bytes.

Each backend wraps a python-escpos printer class (``Usb``, ``Serial``, ``Network``, ``File``,
``Dummy``) for the transport and adds what a kiosk needs on top: every transport failure becomes
a :class:`PrinterOffline` (never a silent success), a failed connection is reopened on the next
call, and status requests drop stale input first. :func:`printer_drivers.spec.open_printer`
builds them from a spec string.

All I/O here blocks (python-escpos is synchronous). The kiosk calls it on a worker thread.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from abc import ABC, abstractmethod
from types import TracebackType

import serial
from escpos.escpos import Escpos
from escpos.printer import Dummy, File, Network, Serial

from printer_drivers.errors import PrinterError, PrinterOffline
from printer_drivers.simulator import PrinterModel, PrinterScript


def _cause(exc: Exception) -> str:
    """The exception's class and text on one line. Not ``repr``: python-escpos keeps its message
    out of the exception's args, so "Connection refused" read as ``DeviceNotFoundError()``."""
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"


class PrinterBackend(ABC):
    """A connection to one printer. Subclasses implement ``_raw`` and, if they can, ``_read``."""

    #: True when the transport can carry the printer's answers (DLE EOT status).
    can_read_status: bool = False

    def __init__(self, spec: str) -> None:
        self.spec = spec

    def send(self, data: bytes) -> None:
        """Send bytes to the printer or raise :class:`PrinterError`; never fails silently."""
        try:
            self._raw(data)
        except PrinterError:
            raise
        except Exception as exc:  # noqa: BLE001 - every transport failure means "not printed"
            self._reset()
            raise PrinterOffline(f"{self.spec}: sending {len(data)} bytes failed: {_cause(exc)}") from exc

    def request(self, command: bytes, reply_size: int) -> bytes:
        """Send ``command`` and return up to ``reply_size`` reply bytes (``b''`` on timeout)."""
        try:
            self._discard_input()
        except Exception as exc:  # noqa: BLE001
            self._reset()
            raise PrinterOffline(f"{self.spec}: connection failed: {_cause(exc)}") from exc
        self.send(command)
        try:
            return self._read(reply_size)
        except Exception as exc:  # noqa: BLE001
            self._reset()
            raise PrinterOffline(f"{self.spec}: reading status failed: {_cause(exc)}") from exc

    @abstractmethod
    def _raw(self, data: bytes) -> None:
        """Write ``data`` to the transport."""

    def _read(self, size: int) -> bytes:
        raise NotImplementedError(f"{type(self).__name__} cannot read from the printer")

    def _discard_input(self) -> None:
        """Drop bytes that arrived unasked (a late reply, automatic status back)."""

    def missing(self) -> str | None:
        """Why the printer is plainly not there, for a transport that cannot ask it (None: no
        sign of trouble). Cheap, no bytes sent."""
        return None

    def _reset(self) -> None:
        """Forget a broken connection so the next call reopens it."""

    def close(self) -> None:
        self._reset()

    def __enter__(self) -> PrinterBackend:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.spec!r})"


class _EscposBackend(PrinterBackend):
    """Shared plumbing for backends that delegate to a python-escpos printer object."""

    def __init__(self, spec: str, printer: Escpos) -> None:
        super().__init__(spec)
        self.printer = printer

    def _raw(self, data: bytes) -> None:
        self.printer._raw(data)

    def _reset(self) -> None:
        try:
            self.printer.close()
        except Exception:  # noqa: BLE001 - closing a broken link may fail too; it is gone anyway
            pass
        self.printer._device = False  # python-escpos reopens lazily on next use


class FileBackend(_EscposBackend):
    """A device file (``/dev/usb/lp0``) or a plain file; write only, so status is unknown."""

    def __init__(self, spec: str, path: str) -> None:
        super().__init__(spec, File(devfile=path, auto_flush=True))
        self.path = path

    def missing(self) -> str | None:
        """A device file that is not there (a USB printer unplugged: /dev/usb/lp0 is gone), one
        this user may not write (/dev/usb/lp0 is root:lp 0660; the kiosk's user not in `lp`), a
        folder given for the file, or a plain file whose folder is not: every ticket issued would
        fail to print."""
        target = os.path.realpath(self.path)
        if os.path.isdir(target):
            return f"{self.path}: is a folder, not a printer's device file"
        if os.path.exists(target):
            return None if os.access(target, os.W_OK, effective_ids=True) else (
                f"{self.path}: this user may not write it (a printer's device file: add the kiosk's user to "
                f"its group, e.g. lp: sudo usermod -aG lp USER, then log in again)")
        if target.startswith("/dev/"):
            return f"{self.path}: no such device"
        folder = os.path.dirname(target) or "."
        return None if os.path.isdir(folder) and os.access(folder, os.W_OK) else f"{self.path}: cannot write there"


FLOW_CONTROLS = ("none", "xonxoff", "rtscts", "dsrdtr")


class _UrlSerial(Serial):
    """python-escpos' Serial opened with ``serial_for_url``: ``/dev/tty*``, ``socket://``,
    ``rfc2217://`` and ``loop://`` all work, and a write timeout stops a blocked port."""

    def __init__(self, url: str, baudrate: int, timeout: float, write_timeout: float,
                 flow: str) -> None:
        super().__init__(devfile=url, baudrate=baudrate, timeout=timeout,
                         xonxoff=flow == "xonxoff", dsrdtr=flow == "dsrdtr")
        self.write_timeout = write_timeout
        self.flow = flow

    def open(self, raise_not_found: bool = True) -> None:
        self.device = serial.serial_for_url(
            self.devfile,
            baudrate=self.baudrate,
            bytesize=self.bytesize,
            parity=self.parity,
            stopbits=self.stopbits,
            timeout=self.timeout,
            write_timeout=self.write_timeout,
            xonxoff=self.flow == "xonxoff",
            rtscts=self.flow == "rtscts",
            dsrdtr=self.flow == "dsrdtr",
        )


class SerialBackend(_EscposBackend):
    """A serial printer by pyserial URL; reads DLE EOT replies. ``flow`` is one of
    :data:`FLOW_CONTROLS`; most kiosk printers on 3-wire cables want ``none``."""

    can_read_status = True

    def __init__(self, spec: str, url: str, *, baudrate: int = 9600, timeout: float = 0.5,
                 write_timeout: float = 10.0, flow: str = "none") -> None:
        super().__init__(spec, _UrlSerial(url, baudrate, timeout, write_timeout, flow))
        self.url = url

    def _port(self) -> serial.Serial:  # what serial_for_url returns
        return self.printer.device  # opens on first use

    def _read(self, size: int) -> bytes:
        return bytes(self._port().read(size))

    def _discard_input(self) -> None:
        self._port().reset_input_buffer()


class NetworkBackend(_EscposBackend):
    """A network printer on raw TCP (port 9100); reads DLE EOT replies."""

    can_read_status = True

    def __init__(self, spec: str, host: str, port: int = 9100, *, timeout: float = 5.0,
                 status_timeout: float = 0.5) -> None:
        super().__init__(spec, Network(host=host, port=port, timeout=timeout))
        self.host, self.port = host, port
        self.timeout, self.status_timeout = timeout, status_timeout

    def _socket(self) -> socket.socket:
        return self.printer.device  # opens on first use

    def _read(self, size: int) -> bytes:
        sock = self._socket()
        sock.settimeout(self.status_timeout)
        try:
            data = sock.recv(size)
        except TimeoutError:
            return b""
        finally:
            sock.settimeout(self.timeout)
        if not data:
            raise ConnectionResetError("printer closed the connection")
        return data

    def _discard_input(self) -> None:
        sock = self._socket()
        sock.setblocking(False)
        try:
            while True:
                chunk = sock.recv(4096)
                if not chunk:
                    raise ConnectionResetError("printer closed the connection")
        except BlockingIOError:
            pass
        finally:
            sock.settimeout(self.timeout)


class UsbBackend(_EscposBackend):
    """A USB printer by vendor/product id (pyusb + libusb; needs device permissions)."""

    can_read_status = True

    def __init__(self, spec: str, vendor_id: int, product_id: int, *, timeout: int = 2000) -> None:
        from escpos.printer import Usb  # pyusb is imported only when a USB printer is used

        super().__init__(spec, Usb(idVendor=vendor_id, idProduct=product_id, timeout=timeout))
        self.vendor_id, self.product_id = vendor_id, product_id

    def _raw(self, data: bytes) -> None:
        with _usb_failures_named(self.vendor_id, self.product_id):
            super()._raw(data)

    def _read(self, size: int) -> bytes:
        with _usb_failures_named(self.vendor_id, self.product_id):
            self.printer.device  # noqa: B018 - opens on first use
            return bytes(self.printer._read())[:size]


@contextlib.contextmanager
def _usb_failures_named(vendor_id: int, product_id: int) -> Iterator[None]:
    """The two USB failures a technician meets, said in their terms. pyusb says "NoBackendError:
    No backend available" when the system's libusb is missing (a kiosk PC installed without it
    printed nothing, and the log did not say what to install); python-escpos names a printer that
    is not there as "(1208, 514)", its ids in decimal, where lsusb and the config say 04b8:0202."""
    from escpos.exceptions import DeviceNotFoundError
    from usb.core import NoBackendError, USBError

    ident = f"{vendor_id:04x}:{product_id:04x}"
    try:
        yield
    except NoBackendError as error:
        raise OSError("libusb is not installed, and USB printers need it (Debian: apt install libusb-1.0-0)") from error
    except DeviceNotFoundError as error:
        # python-escpos raises it for a device that is there but cannot be opened too (no
        # permission: the kiosk's user needs a udev rule; busy): that cause is kept, not "unplugged".
        cause = error.__context__
        if isinstance(cause, USBError):
            raise OSError(f"USB device {ident} is there but could not be opened: {' '.join(str(cause).split())}") from error
        raise OSError(f"no USB device {ident} on this PC: is the printer plugged in and switched on? "
                      f"(`lsusb` lists it as ID {ident})") from error


class _ScriptedDummy(Dummy):
    """python-escpos' Dummy printer with a :class:`PrinterModel` behind it."""

    def __init__(self, model: PrinterModel) -> None:
        super().__init__()
        self.model = model
        self.replies = bytearray()

    def _raw(self, msg: bytes) -> None:
        if self.model.script.fail_send:
            raise OSError("scripted transport failure")
        super()._raw(msg)
        self.replies += self.model.receive(msg)
        self.model.flush()


class DummyBackend(_EscposBackend):
    """An in-memory printer for tests and demos, scriptable to fail like a real one.

    ``received`` is every byte sent; ``printed`` only what the simulated printer accepted for
    printing; ``script`` (a :class:`PrinterScript`) may be changed at any time.
    """

    can_read_status = True

    def __init__(self, spec: str = "dummy:", script: PrinterScript | None = None) -> None:
        self.model = PrinterModel(script)
        super().__init__(spec, _ScriptedDummy(self.model))

    @property
    def script(self) -> PrinterScript:
        return self.model.script

    @property
    def received(self) -> bytes:
        return self.printer.output

    @property
    def printed(self) -> bytes:
        return bytes(self.model.printed)

    @property
    def discarded(self) -> bytes:
        return bytes(self.model.discarded)

    def _read(self, size: int) -> bytes:
        replies = self.printer.replies
        data = bytes(replies[:size])
        del replies[:size]
        return data

    def _discard_input(self) -> None:
        self.printer.replies.clear()

    def _reset(self) -> None:
        """The dummy has no connection to lose; keep the recorded bytes."""
