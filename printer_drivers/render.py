"""Ticket layout to ESC/POS bytes.

Commands are built by python-escpos (a ``Dummy`` printer collects them) except text, which we
encode as GB18030 ourselves (see :mod:`printer_drivers.gbtext`): python-escpos' ``text()`` would
slip ``ESC t`` code page switches into a printer in Chinese mode. Other python-escpos traps
avoided here (PROTOCOLS.md):

* size is reset with ``GS ! 00`` (``custom_size`` 1x1), never ``set(normal_textsize=True)``,
  which only sends ``ESC ! 0`` and leaves Chinese enlarged;
* ``FS &`` is sent right after ``ESC @``, which cancels Chinese mode on many printers;
* native QR (``GS ( k``) only where the profile has it; otherwise a raster image drawn here,
  not through ``qr(native=False)`` (which prints newlines through ``text()``);
* the cut is ``GS V 0`` after a feed, only where the profile has a cutter (``cut()`` sends a
  partial cut with ``feed=False`` and only a feed on some profiles).

Rendering is pure: no I/O except reading the logo file.
"""

from __future__ import annotations

from dataclasses import dataclass

import qrcode
from escpos.constants import PAPER_FULL_CUT, QR_ECLEVEL_M
from escpos.exceptions import ImageWidthError
from escpos.printer import Dummy
from PIL import Image, UnidentifiedImageError

from printer_drivers import gbtext
from printer_drivers.profiles import FONT_A_DOTS, PrinterProfile
from printer_drivers.ticket import LayoutError, TicketLayout, TicketPrint

#: ``FS &``: select Chinese (double-byte) character mode.
FS_CHINESE_ON = b"\x1c\x26"
#: A ticket QR is a short status link; longer payloads make unreadable codes on 58 mm paper.
MAX_QR_PAYLOAD_BYTES = 300
#: Quiet zone around a QR code, in modules (the spec asks for 4; 2 scans fine on white paper).
QR_QUIET_MODULES = 2
QR_CAPTION = "扫码查看排队进度"
PRIORITY_MARK = "【绿色通道】"
APPOINTMENT_MARK = "【预约】"


@dataclass(frozen=True)
class _Style:
    width: int = 1
    height: int = 1
    bold: bool = False
    align: str = "center"


class _TicketWriter:
    """Emits lines with the fewest style commands: only what changed since the last line."""

    def __init__(self, profile: PrinterProfile, columns: int) -> None:
        self.profile = profile
        self.columns = columns
        self.printer = Dummy()
        self.printer.profile = profile.escpos()
        self._style: _Style | None = None

    def start(self) -> None:
        self.printer.hw("INIT")
        self.printer._raw(FS_CHINESE_ON)
        self._style = None
        self.style(_Style())

    def style(self, style: _Style) -> None:
        current = self._style
        p = self.printer
        if current is None or (current.width, current.height) != (style.width, style.height):
            p.set(custom_size=True, width=style.width, height=style.height)
        if current is None or current.bold != style.bold:
            p.set(bold=style.bold)
        if current is None or current.align != style.align:
            p.set(align=style.align)
        self._style = style

    def line(self, text: str, style: _Style = _Style()) -> None:
        """One logical line (already sanitized, no line breaks), wrapped to the paper. A piece
        ends at its last mark, not at the spaces it broke after: the printer centres what it is
        sent, and 社保医保服务区 stood a column left of the middle on 58 mm paper."""
        self.style(style)
        for piece in gbtext.wrap(text, max(2, self.columns // style.width)):
            self.printer._raw(gbtext.encode(piece.rstrip(" ")) + b"\n")

    def lines(self, text: str, style: _Style = _Style()) -> None:
        """A multi-line field; an empty field prints nothing."""
        if not text:
            return
        for logical in gbtext.sanitize(text, four_byte=self.profile.four_byte_gb18030).split("\n"):
            self.line(logical, style)

    def field(self, text: str, style: _Style = _Style()) -> None:
        """A single-line field (its line breaks made spaces), wrapped to the paper."""
        self.line(gbtext.single_line(text, four_byte=self.profile.four_byte_gb18030), style)

    def rule(self) -> None:
        self.line("-" * self.columns, _Style(align="left"))

    def image(self, image: Image.Image) -> None:
        self.style(_Style(align="center"))
        try:
            self.printer.image(image, impl="bitImageRaster")
        except ImageWidthError as exc:  # pragma: no cover - sizes are checked before
            raise LayoutError(f"image wider than the paper: {exc}") from exc

    def feed_and_cut(self) -> None:
        self.printer.print_and_feed(self.profile.tail_feed_lines)
        if self.profile.has_cutter:
            self.printer._raw(PAPER_FULL_CUT)


def usable_dots(layout: TicketLayout, profile: PrinterProfile) -> int:
    """Dots a line of ``layout`` takes on ``profile``'s paper; LayoutError when the layout is for
    wider paper than the printer has (a kiosk checks it at start: every ticket would fail)."""
    if layout.paper_width_mm > profile.paper_width_mm:
        raise LayoutError(
            f"layout is for {layout.paper_width_mm} mm paper but printer profile "
            f"{profile.name!r} has {profile.paper_width_mm} mm"
        )
    if layout.paper_width_mm == profile.paper_width_mm:
        return profile.dots_per_line
    # An 58 mm layout on an 80 mm printer: keep the 58 mm line length the hall designed.
    return min(profile.dots_per_line, 384)


def _load_logo(path: str, max_width: int) -> Image.Image:
    try:
        with Image.open(path) as img:
            img.load()
            logo = img.copy()
    except (OSError, UnidentifiedImageError) as exc:
        raise LayoutError(f"cannot read ticket logo {path!r}: {exc}") from exc
    if logo.width > max_width:
        height = max(1, round(logo.height * max_width / logo.width))
        logo = logo.resize((max_width, height))
    return logo


def _qr_matrix(payload: str) -> list[list[bool]]:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(payload.encode("utf-8"))
    code.make(fit=True)
    return code.get_matrix()


def qr_module_dots(payload: str, profile: PrinterProfile, max_dots: int) -> int:
    """The module size that fits the QR of ``payload`` on the paper, at most the profile's."""
    modules = len(_qr_matrix(payload)) + 2 * QR_QUIET_MODULES
    size = min(profile.qr_module_dots, max_dots // modules)
    if size < 2:
        raise LayoutError(f"status_url too long for a readable QR code on {max_dots} dots")
    return size


def raster_qr_image(payload: str, module_dots: int) -> Image.Image:
    """The QR of ``payload`` as a black-on-white image, ``module_dots`` dots per module."""
    matrix = _qr_matrix(payload)
    side = (len(matrix) + 2 * QR_QUIET_MODULES) * module_dots
    img = Image.new("1", (side, side), 1)
    pixels = img.load()
    assert pixels is not None  # None only for an image without pixel data; this one was just made
    offset = QR_QUIET_MODULES * module_dots
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if not dark:
                continue
            for dy in range(module_dots):
                for dx in range(module_dots):
                    pixels[offset + x * module_dots + dx, offset + y * module_dots + dy] = 0
    return img


def _validate_qr_payload(payload: str) -> None:
    try:
        size = len(payload.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise LayoutError(f"status_url is not encodable as UTF-8: {exc}") from exc
    if size > MAX_QR_PAYLOAD_BYTES:
        raise LayoutError(
            f"status_url is {size} bytes; a ticket QR takes at most {MAX_QR_PAYLOAD_BYTES}"
        )


def render_ticket(ticket: TicketPrint, layout: TicketLayout, profile: PrinterProfile) -> bytes:
    """The complete ESC/POS job for one ticket. Raises :class:`LayoutError` on unprintable input."""
    dots = usable_dots(layout, profile)
    show_qr = layout.show_qr and bool(ticket.status_url)
    if show_qr:
        _validate_qr_payload(ticket.status_url)
    w = _TicketWriter(profile, columns=dots // FONT_A_DOTS)
    w.start()
    if layout.logo_path:
        w.image(_load_logo(layout.logo_path, dots))
    w.field(ticket.hall_name, _Style(height=2, bold=True))
    w.lines(layout.header)
    w.field(f"{ticket.zone_name}  {ticket.service_name}", _Style(bold=True))
    w.rule()
    scale = profile.number_scale
    w.field(ticket.number, _Style(width=scale, height=scale, bold=True))
    marks = (PRIORITY_MARK if ticket.priority else "") + (
        APPOINTMENT_MARK if ticket.appointment else ""
    )
    if marks:
        w.line(marks, _Style(height=2, bold=True))
    w.line(f"前面还有 {ticket.people_ahead} 人等候")
    if ticket.estimated_wait_min == 0:
        w.line("即将叫号")  # nobody ahead at an open window: "about 0 minutes" read oddly
    elif ticket.estimated_wait_min is not None:
        w.line(f"预计等候约 {ticket.estimated_wait_min} 分钟")
    if ticket.window_hint:
        w.field(f"办理窗口：{ticket.window_hint}")
    if ticket.person_masked:  # 证件号: an ID card, a passport, a permit or a mobile (it said 身份证 for each)
        w.field(f"证件号：{ticket.person_masked}")
    w.rule()
    w.line(f"取号时间：{ticket.issued_at:%Y-%m-%d %H:%M}", _Style(align="left"))
    w.lines(ticket.notice, _Style(align="left"))
    if show_qr:
        module = qr_module_dots(ticket.status_url, profile, dots)
        if profile.has_native_qr:
            w.style(_Style(align="center"))
            w.printer.qr(ticket.status_url, ec=QR_ECLEVEL_M, size=module, native=True)
        else:
            w.image(raster_qr_image(ticket.status_url, module))
        w.line(QR_CAPTION)
    w.lines(layout.footer)
    w.feed_and_cut()
    return w.printer.output
