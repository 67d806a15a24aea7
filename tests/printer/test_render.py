"""render_ticket: decode the real ESC/POS bytes and check what the citizen reads."""

from __future__ import annotations

import pytest
import qrcode
from escpos.printer import Dummy
from PIL import Image

from kiosk.session import NO_WINDOW_NOTICE, TICKET_NOTICE
from printer_drivers import LayoutError, gbtext, builtin_profiles, get_profile, render_ticket
from printer_drivers.escpos_reader import parse, read
from printer_drivers.linebreak import NO_LINE_START
from printer_drivers.render import QR_QUIET_MODULES
from tests.printer.samples import STATUS_URL, sample_layout, sample_ticket
from tests.text_lines import consecutive_lines, split_words

PROFILES = sorted(builtin_profiles())


def render(profile_name: str, **ticket_changes: object) -> bytes:
    profile = get_profile(profile_name)
    return render_ticket(sample_ticket(**ticket_changes), sample_layout(profile.paper_width_mm),
                         profile)


@pytest.mark.parametrize("name", PROFILES)
def test_ticket_reads_in_chinese_with_number_enlarged(name: str) -> None:
    profile = get_profile(name)
    doc = read(render(name))
    number = doc.find_line("A1001")
    assert number.text == "A1001"
    assert (number.width, number.height) == (profile.number_scale, profile.number_scale)
    assert number.width >= 2 and number.align == "center" and number.bold
    assert doc.find_line("湘中县政务服务中心").height == 2
    assert doc.find_line("【绿色通道】").align == "center"
    assert doc.find_line("前面还有 12 人等候").height == 1  # the size was reset after the number
    assert doc.find_line("预计等候约 15 分钟").width == 1
    assert doc.find_line("取号时间：2026-11-26 09:15").align == "left"
    assert doc.find_line("办理窗口：3号、5号窗口")
    assert "过号请到办理窗口说明，工作人员可为您重新排队。" in doc.text.replace("\n", "")
    assert doc.find_line("扫码查看排队进度")
    assert [line.text for line in doc.lines][-2:] == ["请妥善保管此票", "扫描二维码查看进度、评价服务"]


@pytest.mark.parametrize("name", PROFILES)
def test_chinese_mode_follows_every_init_and_no_code_page_switch(name: str) -> None:
    ops = parse(render(name))
    assert [op.command for op in ops[:2]] == ["init", "chinese_mode"]
    assert ops[1].params == {"on": True}
    assert not [op for op in ops if op.command in ("code_page", "print_mode")]
    assert sum(op.command == "init" for op in ops) == 1


@pytest.mark.parametrize("name", PROFILES)
def test_cut_only_where_the_profile_has_a_cutter(name: str) -> None:
    profile = get_profile(name)
    doc = read(render(name))
    assert [(c.partial, c.feed_dots) for c in doc.cuts] == ([(False, 0)] if profile.has_cutter
                                                             else [])
    assert doc.blocks[-1 if not profile.has_cutter else -2].amount == profile.tail_feed_lines


@pytest.mark.parametrize("name", [n for n in PROFILES if get_profile(n).has_native_qr])
def test_native_qr_carries_the_status_url_and_stays_under_1kb(name: str) -> None:
    data = render(name)
    doc = read(data)
    assert [q.payload for q in doc.qr_codes] == [STATUS_URL]
    assert doc.qr_codes[0].error_correction == "M" and doc.qr_codes[0].align == "center"
    assert doc.images == []
    assert len(data) < 1024


def _modules(image_rows: list[list[bool]], module: int) -> list[list[bool]]:
    """Sample the centre of every module of a raster QR (quiet zone stripped)."""
    offset = QR_QUIET_MODULES * module
    side = (len(image_rows) - 2 * offset) // module
    return [
        [image_rows[offset + y * module + module // 2][offset + x * module + module // 2]
         for x in range(side)]
        for y in range(side)
    ]


@pytest.mark.parametrize("name", [n for n in PROFILES if not get_profile(n).has_native_qr])
def test_raster_qr_is_the_qr_of_the_status_url(name: str) -> None:
    profile = get_profile(name)
    doc = read(render(name))
    assert doc.qr_codes == []
    [image] = doc.images
    assert image.width <= profile.dots_per_line and image.align == "center"
    expected = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    expected.add_data(STATUS_URL.encode())
    expected.make(fit=True)
    assert _modules(image.rows(), profile.qr_module_dots) == expected.get_matrix()


def test_optional_lines_follow_the_ticket() -> None:
    doc = read(render("XP-80C", estimated_wait_min=None, window_hint=None, priority=False,
                      appointment=True))
    # The lines themselves: the hall's notice speaks of 办理窗口 too (过号请到办理窗口说明).
    assert not any(line.text.startswith(("预计等候", "办理窗口：")) for line in doc.lines)
    assert doc.find_line("【预约】").text == "【预约】"
    assert "绿色通道" not in doc.text


@pytest.mark.parametrize("masked", ["E*******8", "138****5678", "4302**********1234"])
def test_the_document_line_names_no_kind_it_may_not_be(masked: str) -> None:
    """Tried: a passport, a mobile and an ID card number on the ticket (the kiosk takes each).
    Seen: 身份证：E*******8. Kept: 证件号： for each, the number masked as given."""
    lines = [line.text for line in read(render("XP-80C", person_masked=masked)).lines]
    assert f"证件号：{masked}" in lines and not any("身份证" in line for line in lines)


def test_a_long_window_list_fits_the_58mm_paper_and_never_splits_a_number() -> None:
    """The windows that serve the queue (办理窗口：…) on the narrowest paper: each line within the
    paper's columns, broken after 、 (a number split over two lines read as two windows)."""
    profile = get_profile("ZJ-5870")
    hint = "、".join(str(n) for n in range(1, 40, 2)) + "号"
    doc = read(render("ZJ-5870", window_hint=hint))
    lines = [line.text for line in doc.lines]
    first = next(i for i, text in enumerate(lines) if text.startswith("办理窗口："))
    taken, i = "", first
    while len(taken) < len("办理窗口：" + hint):
        taken += lines[i]
        assert lines[i].endswith(("、", "号")) and lines[i + 1][:1] != "、", lines[first:i + 2]
        assert gbtext.text_columns(lines[i]) <= profile.columns
        i += 1
    assert taken == "办理窗口：" + hint and i - first > 1


NOTICE_WORDS = ("留意", "叫号", "屏幕", "语音", "提示", "过号", "办理", "窗口", "说明", "工作人员", "为您", "重新", "排队",
                "目前", "暂无", "此业务", "开放", "依次")
"""Words of the kiosk's printed notices: a line boundary inside one splits it (说|明, 重|新)."""


@pytest.mark.parametrize("notice", [TICKET_NOTICE, NO_WINDOW_NOTICE + TICKET_NOTICE], ids=["notice", "no_window"])
@pytest.mark.parametrize("name", PROFILES)
def test_the_printed_notice_breaks_between_phrases(name: str, notice: str) -> None:
    """Tried: the notices the kiosk prints, decoded from the real ESC/POS bytes on every profile's
    paper. It was 重|新排队 on 58 mm paper and, after 目前暂无窗口…, 工作|人员 on most papers.
    Kept: each line ends at a phrase (说明 and 工作人员 whole), none wider than the paper, none
    starting with a closing mark, and the lines joined give the notice back."""
    profile = get_profile(name)
    lines = consecutive_lines([line.text for line in read(render(name, notice=notice)).lines], notice)
    assert not split_words(lines, NOTICE_WORDS), lines
    assert all(gbtext.text_columns(line) <= profile.columns for line in lines), lines
    assert not [line for line in lines[1:] if line[0] in NO_LINE_START], lines
    if profile.columns == 32:
        assert lines[-2:] == ["过号请到办理窗口说明，", "工作人员可为您重新排队。"]


def test_no_qr_when_layout_hides_it() -> None:
    profile = get_profile("TM-T88")
    doc = read(render_ticket(sample_ticket(), sample_layout(80, show_qr=False), profile))
    assert doc.qr_codes == [] and "扫码" not in doc.text


def test_long_lines_wrap_within_the_paper() -> None:
    profile = get_profile("POS-5890")
    notice = "办事须知" * 20
    doc = read(render("POS-5890", notice=notice))
    notice_lines = [line.text for line in doc.lines if "办事须知" in line.text]
    assert "".join(notice_lines) == notice
    assert all(len(text) * 2 <= profile.columns for text in notice_lines)


def test_58mm_layout_on_80mm_printer_keeps_58mm_lines() -> None:
    doc = read(render_ticket(sample_ticket(), sample_layout(58), get_profile("XP-80C")))
    assert len(doc.find_line("-----").text) == 32


def test_80mm_layout_on_58mm_printer_is_refused() -> None:
    with pytest.raises(LayoutError, match="80 mm") as info:
        render_ticket(sample_ticket(), sample_layout(80), get_profile("ZJ-5870"))
    assert info.value.message_zh == "票面内容无法打印，请联系工作人员"


def test_logo_is_scaled_to_the_paper(tmp_path) -> None:
    logo = tmp_path / "logo.png"
    Image.new("L", (800, 100), 0).save(logo)
    profile = get_profile("POS-5890")
    doc = read(render_ticket(sample_ticket(), sample_layout(58, logo_path=str(logo)), profile))
    first = doc.blocks[0]
    assert first.width == profile.dots_per_line and first.height == 48  # 800x100 -> 384x48


def test_unreadable_logo_is_a_layout_error(tmp_path) -> None:
    bad = tmp_path / "logo.png"
    bad.write_bytes(b"not a png")
    with pytest.raises(LayoutError, match="logo"):
        render_ticket(sample_ticket(), sample_layout(80, logo_path=str(bad)),
                      get_profile("TM-T88"))


def test_too_long_status_url_is_refused_before_printing() -> None:
    with pytest.raises(LayoutError, match="status_url"):
        render("TM-T88", status_url="https://x/" + "a" * 400)


def test_negative_people_ahead_is_refused() -> None:
    with pytest.raises(LayoutError, match="people_ahead"):
        sample_ticket(people_ahead=-1)


def test_python_escpos_normal_textsize_trap_is_visible_to_the_reader() -> None:
    """Why the renderer resets with GS ! 00: ESC ! 0 leaves Chinese enlarged."""
    p = Dummy()
    p._raw(b"\x1b@\x1c&")
    p.set(custom_size=True, width=2, height=2)
    p._raw("大".encode("gb18030") + b"\n")
    p.set(normal_textsize=True)
    p._raw("小A".encode("gb18030") + b"\n")
    line = read(p.output).find_line("小A")
    assert [(s.text, s.width) for s in line.spans] == [("小", 2), ("A", 1)]


def test_python_escpos_text_sends_code_page_switches() -> None:
    """Why the renderer encodes text itself: escpos text() emits ESC t."""
    p = Dummy()
    p.text("№ 1\n")
    assert "code_page" in [op.command for op in parse(p.output)]


@pytest.mark.parametrize("name", PROFILES)
def test_a_wrapped_centred_line_ends_at_its_last_character(name: str) -> None:
    """Tried: 社保医保服务区 and a long item's name, one field joined by two spaces, on every
    profile. It was: on 58 mm paper the line broke after the spaces and kept them, so the printer
    centred 社保医保服务区 plus two blank columns, a column left of the middle. Kept: no printed
    line ends in a space; the field's words are all there."""
    service = "企业职工基本养老保险参保登记（新办）"
    doc = read(render(name, zone_name="社保医保服务区", service_name=service))
    assert not [line.text for line in doc.lines if line.text.endswith(" ")]
    assert "社保医保服务区" in doc.text and service in doc.text.replace("\n", "")
