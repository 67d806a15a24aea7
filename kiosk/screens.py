"""One drawing function per kiosk screen. Everything the citizen reads is Simplified Chinese.

Each function records the flow's current screen with a :class:`~kiosk.widgets.Painter` (every
drawing goes through it: the app compares frames by what it recorded) and leaves the touchable
buttons in ``painter.buttons``; the app hit-tests touches against exactly what was
drawn, so a button cannot be touched that the citizen could not see.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
import pygame

from kiosk import flow as f
from kiosk.widgets import ACCENT, BG, CARD, INK, LINE, MUTED, OK, WARN, WHITE, Painter
from kiosk.session import IssueResult
from server.engine.personal import mask_person_id
from server.hub_client import QueueInfo

SEARCH_WORDS = ("证", "登记", "变更", "注销", "社保", "医保", "户", "税", "公积金", "执照", "补", "申请")


def _header(p: Painter, flow: f.Flow, subtitle: str = "", *, toggle: bool = False) -> int:
    """The hall's bar; ``toggle``: the large-text button in it, for screens without a footer (the
    ticket, notices, closed, offline): docs/kiosk.md promises it on every screen."""
    bar = p.unit(0.11)
    p.rect(ACCENT, (0, 0, p.width, bar))
    name = flow.catalogue.hall.name if flow.catalogue else "政务服务中心"
    p.text(name + " 自助取号", p.px(0.045), WHITE, topleft=(p.unit(0.03), bar // 2 - p.px(0.045) // 2),
           max_width=p.width * 2 // 3)
    if subtitle:
        p.text(subtitle, p.px(0.03), WHITE, center=(p.width - p.width // 6, bar // 2), max_width=p.width // 3 - 20)
    elif toggle:
        gap, w = p.unit(0.015), p.width // 5
        p.button(pygame.Rect(p.width - w - gap, gap, w, bar - 2 * gap), _large_label(flow), ("large", ""))
    return bar


def _large_label(flow: f.Flow) -> str:
    return "标准字体" if flow.large_text else "大字模式"


def _footer(p: Painter, flow: f.Flow, *, back: bool = True, home: bool = True) -> int:
    h = p.unit(0.1)
    top = p.height - h
    p.rect(CARD, (0, top, p.width, h))
    p.line(LINE, (0, top), (p.width, top), 2)
    w = p.width // 5
    gap = p.unit(0.015)
    x = gap
    if back:
        p.button(pygame.Rect(x, top + gap, w, h - 2 * gap), "返回上一步", ("back", ""))
        x += w + gap
    if home:
        p.button(pygame.Rect(x, top + gap, w, h - 2 * gap), "返回首页", ("home", ""))
    p.button(pygame.Rect(p.width - w - gap, top + gap, w, h - 2 * gap), _large_label(flow), ("large", ""))
    if flow.person_id is not None:  # the card read is this citizen's, and never shown in clear
        p.text(f"已读取身份证 {mask_person_id(flow.person_id)}", p.px(0.028), INK,
               center=(p.width // 2 + p.width // 10, top + h // 2), max_width=p.width - x - 2 * w - 4 * gap)
    return top


def _grid(p: Painter, top: int, bottom: int, cols: int, rows: int) -> list[pygame.Rect]:
    gap = p.unit(0.02)
    w = (p.width - gap * (cols + 1)) // cols
    h = (bottom - top - gap * (rows + 1)) // rows
    return [pygame.Rect(gap + c * (w + gap), top + gap + r * (h + gap), w, h) for r in range(rows) for c in range(cols)]


def draw_start(p: Painter, flow: f.Flow, screen: f.Start) -> None:
    assert flow.catalogue is not None
    subtitle = "绿色通道：" + flow.catalogue.hall.priority_classes.get(flow.priority_class, "") if flow.priority_class else ""
    top = _header(p, flow, subtitle)
    p.text("请选择办理业务的区域", p.px(0.05), INK, center=(p.width // 2, top + p.unit(0.06)))
    bottom = _footer(p, flow, back=False, home=flow.priority_class is not None)
    extra = p.unit(0.12)
    zones = flow.catalogue.zones
    cols = 2 if p.portrait else 3 if flow.large_text else 4
    rows = max(1, -(-len(zones) // cols))
    for rect, zone in zip(_grid(p, top + p.unit(0.11), bottom - extra, cols, rows), zones):
        queue_names = [flow.catalogue.queues[q].name for q in zone.queues if q in flow.catalogue.queues]
        waiting = sum(flow.catalogue.queues[q].waiting for q in zone.queues if q in flow.catalogue.queues)
        p.button(rect, zone.name, ("zone", zone.code), size=p.px(0.034),
                 sub=f"{zone.code}区 · 等候 {waiting} 人" if queue_names else f"{zone.code}区")
    # 查找事项: a citizen who knows the item but not which of the zones handles it searches them all.
    choices = [("查找事项", ("search_all", ""), ACCENT, "不知道区域？按拼音首字母查找"),
               ("预约签到", ("appointment", ""), WARN, "扫码、刷身份证或输入预约码")]
    if flow.priority_class is None:
        choices.insert(0, ("绿色通道", ("green", ""), OK, "老年人 · 残疾人 · 孕妇 · 军人"))
    gap = p.unit(0.02)
    w = (p.width - gap * (len(choices) + 1)) // len(choices)
    for i, (label, action, fill, sub) in enumerate(choices):
        rect = pygame.Rect(gap + i * (w + gap), bottom - extra, w, extra - gap)
        p.button(rect, label, action, fill=fill, ink=WHITE, sub=sub)


def draw_green(p: Painter, flow: f.Flow, screen: f.Green) -> None:
    assert flow.catalogue is not None
    top = _header(p, flow, "绿色通道")
    y = p.wrapped("老年人、残疾人、孕妇、军人等可优先办理。请选择类别，并向窗口工作人员出示相关证件。",
                  p.px(0.035), INK, top + p.unit(0.04), p.width - p.unit(0.1))
    bottom = _footer(p, flow)
    classes = list(flow.catalogue.hall.priority_classes.items())
    cols = 2
    rects = _grid(p, y, bottom, cols, max(1, -(-len(classes) // cols)))
    for rect, (code, label) in zip(rects, classes):
        p.button(rect, label, ("priority", code), size=p.px(0.05), fill=OK, ink=WHITE)


def draw_services(p: Painter, flow: f.Flow, screen: f.Services) -> None:
    assert flow.catalogue is not None
    everywhere = screen.zone == f.ALL_ZONES
    top = _header(p, flow, "全部区域" if everywhere else flow.catalogue.zone(screen.zone).name)
    gap = p.unit(0.015)
    box = pygame.Rect(gap, top + gap, p.width // 2, p.unit(0.07))
    # The box opens the letter keyboard: a touch screen has no input method for characters, so
    # citizens search by pinyin initials (不动产 -> BDC); it said "输入事项名称" and took no touch.
    shown = f"搜索：{screen.search}" if screen.search else "点此按拼音首字母搜索（如 不动产→BDC）"
    p.button(box, shown, ("keyboard", ""), size=p.px(0.03), ink=INK if screen.search else MUTED)
    if screen.search or screen.keyboard:
        p.rect(ACCENT, box, width=3, border_radius=12)
    services_all = [s for z in flow.catalogue.zones for s in flow.catalogue.ranked(z.code)] if everywhere \
        else flow.catalogue.ranked(screen.zone)
    room = (p.width - box.right) // (4 * p.px(0.028)) - 1  # chips of four characters beside 清除
    words = [w for w in SEARCH_WORDS if any(w in s.name for s in services_all)][: min(room, 4 if flow.large_text else 6)]
    chip_w = (p.width - box.right - gap * (len(words) + 2)) // max(1, len(words) + 1)
    x = box.right + gap
    for word in words:
        p.button(pygame.Rect(x, box.y, chip_w, box.height), word, ("search", word), size=p.px(0.028))
        x += chip_w + gap
    p.button(pygame.Rect(x, box.y, chip_w, box.height), "清除", ("search", ""), size=p.px(0.028))
    bottom = _footer(p, flow)
    if screen.keyboard:
        bottom = _letter_keyboard(p, bottom)
    services = flow.catalogue.search_all(screen.search) if everywhere else flow.catalogue.ranked(screen.zone, screen.search)
    cols, rows = (1 if flow.large_text else 2, 8) if p.portrait else (2, 4) if flow.large_text else (3, 5)
    if screen.keyboard:
        rows = rows // 2 if p.portrait else 2  # the keyboard takes the lower half
    per_page = cols * rows
    pages = max(1, -(-len(services) // per_page))
    page = min(screen.page, pages - 1)
    nav = p.unit(0.08)
    rects = _grid(p, box.bottom, bottom - nav, cols, rows)
    for rect, service in zip(rects, services[page * per_page:(page + 1) * per_page]):
        # Found across zones: each says its zone, where the citizen will wait.
        p.button(rect, service.name, ("service", service.code), size=p.px(0.03),
                 sub=flow.catalogue.zone(service.zone).name if everywhere else None)
    if not services:
        assisted = flow.catalogue.hall.assisted_queue
        middle = (box.bottom + bottom) // 2
        if screen.search and assisted is not None:
            p.text("没有找到相关事项，请换个关键词，或取号由工作人员帮您办理", p.px(0.035), MUTED,
                   center=(p.width // 2, middle - p.unit(0.06)), max_width=p.width - 40)
            w, h = p.width * 2 // 5, p.unit(0.11)
            p.button(pygame.Rect((p.width - w) // 2, middle, w, h), f"取号：{assisted.name}", ("assisted", ""),
                     size=p.px(0.035), fill=OK, ink=WHITE, sub=f"到{assisted.zone_name}，工作人员帮办代办")
        else:
            hint = "请用键盘输入事项名称的拼音首字母，或点上方常用词" if everywhere and not screen.search \
                else "没有找到相关事项，请换个关键词或咨询工作人员"
            p.text(hint, p.px(0.035), MUTED, center=(p.width // 2, middle), max_width=p.width - 40)
    nav_top = bottom - nav
    w = p.width // 5
    if page > 0:
        p.button(pygame.Rect(gap, nav_top, w, nav - gap), "上一页", ("page", "-1"))
    p.text(f"第 {page + 1} / {pages} 页", p.px(0.028), MUTED, center=(p.width // 2, nav_top + nav // 2))
    if page < pages - 1:
        p.button(pygame.Rect(p.width - w - gap, nav_top, w, nav - gap), "下一页", ("page", "1"))


KEY_ROWS = ("QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM")


def _letter_keyboard(p: Painter, bottom: int) -> int:
    """A QWERTY letter keyboard above ``bottom`` (with 删除 and 收起); returns its top."""
    gap = p.unit(0.012)
    key_h = p.unit(0.085)
    key_w = (p.width - gap * 11) // 10
    top = bottom - gap - len(KEY_ROWS) * (key_h + gap)
    p.rect(LINE, (0, top - gap, p.width, bottom - top + gap))
    for r, letters in enumerate(KEY_ROWS):
        y = top + r * (key_h + gap)
        x = (p.width - len(letters) * (key_w + gap) + gap) // 2 if r < 2 else gap
        for letter in letters:
            p.button(pygame.Rect(x, y, key_w, key_h), letter, ("letter", letter), size=p.px(0.04))
            x += key_w + gap
        if r == 2:
            p.button(pygame.Rect(x, y, key_w * 3 // 2, key_h), "删除", ("erase", ""), size=p.px(0.032))
            x += key_w * 3 // 2 + gap
            p.button(pygame.Rect(x, y, p.width - x - gap, key_h), "收起键盘", ("keyboard", ""), size=p.px(0.032))
    return top - gap


def queue_wait_text(queue: QueueInfo, priority: bool = False) -> str:
    """The line under the item before a citizen confirms: who is ahead and whether anyone serves.
    A queue no window serves says so (the board's rule): "0 人等候，约 0 分钟" read as "go now".
    A green-channel ticket is called before the ordinary line, so only priority tickets are ahead
    of it: showing the whole line told an elderly citizen 6 ahead, and the ticket then said 0.
    With no window open the people ahead are still said (the citizen read them only on the ticket)."""
    ahead = queue.waiting_priority if priority else queue.waiting
    if queue.open_windows == 0:
        return f"{queue.name}：{f'前面还有 {ahead} 人等候，' if ahead else ''}目前暂无窗口办理，取号后请留意叫号"
    if ahead == 0:
        return f"{queue.name}：{'绿色通道优先办理，' if priority else ''}无需等候"
    if priority:
        return f"{queue.name}：绿色通道优先办理，前面还有 {ahead} 人"
    wait = f"，预计等候约 {queue.estimated_wait_min} 分钟" if queue.estimated_wait_min is not None else ""
    return f"{queue.name}：前面还有 {ahead} 人等候{wait}"


def ticket_wait_text(people_ahead: int, estimated_wait_min: int | None) -> str:
    """The issued ticket's line on screen, as the printed one reads (hub semantics: no estimate
    means no window of the queue is open)."""
    if estimated_wait_min is None:
        return f"前面还有 {people_ahead} 人等候，目前暂无窗口办理，请留意叫号"
    if estimated_wait_min == 0:
        return f"前面还有 {people_ahead} 人等候，即将叫号"
    return f"前面还有 {people_ahead} 人等候，预计等候约 {estimated_wait_min} 分钟"


def draw_confirm(p: Painter, flow: f.Flow, screen: f.Confirm) -> None:
    assert flow.catalogue is not None
    top = _header(p, flow, screen.zone_name)
    y = top + p.unit(0.08)
    p.text("请确认您要办理的事项", p.px(0.045), MUTED, center=(p.width // 2, y))
    y = p.wrapped(screen.service.name, p.px(0.065), INK, y + p.unit(0.06), p.width - p.unit(0.1))
    queue = flow.catalogue.queues.get(screen.service.queue)
    sold_out = queue and (queue.sold_out or queue.sold_out_items.get(screen.service.code))
    if sold_out:
        # Said before 确认取号, not after, and nothing offered to confirm: no ticket can be had.
        p.wrapped(sold_out, p.px(0.045), ACCENT, y + p.unit(0.03), p.width - p.unit(0.12))
        _footer(p, flow)
        return
    if queue is not None:
        p.text(queue_wait_text(queue, bool(flow.priority_class)), p.px(0.035), INK, center=(p.width // 2, y + p.unit(0.05)), max_width=p.width - 40)
        if queue.beyond_today and not flow.priority_class:  # said before the ticket, not after
            p.text("按目前进度，今天下班前可能轮不到，建议改日再来或预约办理", p.px(0.032), WARN,
                   center=(p.width // 2, y + p.unit(0.16)), max_width=p.width - 40)
    if flow.priority_class:
        label = flow.catalogue.hall.priority_classes.get(flow.priority_class, flow.priority_class)
        p.text(f"绿色通道（{label}）：请向窗口出示相关证件", p.px(0.035), OK, center=(p.width // 2, y + p.unit(0.11)))
    bottom = _footer(p, flow)
    w, h = p.width // 3, p.unit(0.14)
    p.button(pygame.Rect((p.width - w) // 2, bottom - h - p.unit(0.05), w, h), "确认取号", ("confirm", ""),
             size=p.px(0.055), fill=ACCENT, ink=WHITE)


KEYPAD = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "清空", "0", "删除")


def draw_id_needed(p: Painter, flow: f.Flow, screen: f.IdNeeded) -> None:
    top = _header(p, flow, screen.confirm.zone_name)
    p.text("请刷身份证", p.px(0.09), ACCENT, center=(p.width // 2, top + p.unit(0.16)))
    y = p.wrapped(screen.confirm.service.name, p.px(0.045), INK, top + p.unit(0.27), p.width - p.unit(0.1))
    y = p.wrapped("按大厅规定，办理该业务须本人身份证取号：请将身份证放在取号机的读卡区，读取后自动出票。"
                  "身份证号码仅用于每人每日取号次数限制，不会显示或打印完整号码。",
                  p.px(0.034), MUTED, y + p.unit(0.04), p.width - p.unit(0.16))
    bottom = _footer(p, flow)  # 返回上一步: back to the item, 返回首页: give up
    assisted = flow.catalogue.hall.assisted_queue if flow.catalogue is not None else None
    if assisted is not None:
        # A passport or a travel permit is no ID card to the reader: without this the citizen
        # had no way on from here but to give up. Staff of the 帮代办 desk issue the ticket.
        w, h = p.width // 2, p.unit(0.12)
        # Below the text however many lines a long item name and large text took, above the footer.
        top = min(max(y + p.unit(0.02), bottom - h - p.unit(0.05)), bottom - h - p.unit(0.01))
        p.button(pygame.Rect((p.width - w) // 2, top, w, h), "没有身份证（护照、通行证等）",
                 ("assisted", ""), size=p.px(0.035), sub=f"取{assisted.name}号，到{assisted.zone_name}由工作人员帮您办理")


def draw_appointment(p: Painter, flow: f.Flow, screen: f.Appointment) -> None:
    top = _header(p, flow, "预约签到")
    # The card reader checks in a booking made with the ID number: a citizen without the code at
    # hand was not told they could use it, and queued at the 帮代办 desk instead.
    p.text("请扫描预约二维码、刷身份证，或输入预约码", p.px(0.04), INK, center=(p.width // 2, top + p.unit(0.06)),
           max_width=p.width - p.unit(0.06))
    box = pygame.Rect(p.width // 4, top + p.unit(0.1), p.width // 2, p.unit(0.09))
    p.rect(CARD, box, border_radius=8)
    p.rect(ACCENT, box, width=3, border_radius=8)
    p.text(screen.code or "预约码", p.px(0.05), INK if screen.code else MUTED, center=box.center, max_width=box.width - 20)
    bottom = _footer(p, flow)
    pad = pygame.Rect(p.width // 4, box.bottom + p.unit(0.02), p.width // 2, bottom - box.bottom - p.unit(0.04))
    keys = _grid_in(pad, 3, 4, p.unit(0.012))
    for rect, key in zip(keys, KEYPAD):
        action = {"清空": ("clear", ""), "删除": ("delete", "")}.get(key, ("digit", key))
        p.button(rect, key, action, size=p.px(0.05))
    side = pygame.Rect(pad.right + p.unit(0.03), pad.bottom - p.unit(0.14), p.width // 5, p.unit(0.14))
    p.button(side, "签到取号", ("check_in", ""), size=p.px(0.04), fill=ACCENT, ink=WHITE)


def _grid_in(area: pygame.Rect, cols: int, rows: int, gap: int) -> list[pygame.Rect]:
    w = (area.width - gap * (cols - 1)) // cols
    h = (area.height - gap * (rows - 1)) // rows
    return [pygame.Rect(area.x + c * (w + gap), area.y + r * (h + gap), w, h) for r in range(rows) for c in range(cols)]


def draw_working(p: Painter, flow: f.Flow, screen: f.Working) -> None:
    _header(p, flow)
    p.text("正在出票，请稍候……", p.px(0.06), INK, center=(p.width // 2, p.height // 2))


def _number_block(p: Painter, number: str, y: int, color: tuple[int, int, int]) -> int:
    rect = p.text(number, p.px(0.2), color, center=(p.width // 2, y))
    return rect.bottom


def ticket_place_text(result: IssueResult) -> str:
    """The service and the zone to wait in. An appointment checked in by its code showed only
    预约办理: the citizen learned neither what nor where, and a kiosk at the entrance serves ten
    zones, each with its own screens and speaker."""
    service = result.service_name or result.job.service_name or "预约办理"
    return f"{service} · 请到{result.zone_name}等候" if result.zone_name else service


def green_channel_class(flow: f.Flow, result: IssueResult) -> str | None:
    """The priority class's name (老年人) when the ticket is a green-channel one, "" when its
    class is unknown, None for any other ticket. By the ticket the hub issued, as the paper's
    【绿色通道】: a checked-in appointment is called first too, but asks the window for no card."""
    ticket = result.ticket
    if ticket is None or not ticket.priority or ticket.appointment:
        return None
    code = result.job.spec.priority_class or ""
    classes = flow.catalogue.hall.priority_classes if flow.catalogue is not None else {}
    return classes.get(code, code)


def _green_badge(p: Painter, label: str, number: pygame.Rect, above: int) -> pygame.Rect:
    """A green 绿色通道 badge with the class under it, between ``above`` and the number when it
    fits there (upright), else left of the number (lying down, where the rows below are full).
    The window asks a green-channel citizen for a card, and the screen after the ticket said
    nothing of the channel they had chosen: the paper says 【绿色通道】, the screen now too."""
    sizes = (p.px(0.035), p.px(0.028))
    lines = [(text, size) for text, size in zip(("绿色通道", label), sizes) if text]
    pad, gap = p.across(0.012), p.across(0.015)
    widths = [p.measure(text, size).width + 2 * pad for text, size in lines]
    height = sum(size + pad for _, size in lines) + pad
    room = number.left - 2 * gap
    if number.top - above >= height + 2 * gap or room < widths[0] * 0.7:  # 绿色通道 itself never cut
        rect = pygame.Rect(0, 0, min(max(widths), p.width - 2 * gap), height)
        rect.center = (p.width // 2, (above + number.top) // 2)
    else:  # a long class shrinks, then ends with …
        rect = pygame.Rect(0, 0, min(max(widths), room), height)
        rect.midright = (number.left - gap, number.centery)
    p.rect(OK, rect, border_radius=12)
    y = rect.top + pad
    for text, size in lines:
        p.text(text, size, WHITE, center=(rect.centerx, y + size // 2), max_width=rect.width - 2 * pad)
        y += size + pad
    return rect


def draw_ticket(p: Painter, flow: f.Flow, screen: f.TicketOut) -> None:
    ticket = screen.result.ticket
    assert ticket is not None
    top = _header(p, flow, toggle=True)
    title = p.text("请取走您的票", p.px(0.07), OK, center=(p.width // 2, top + p.unit(0.1)))
    y = _number_block(p, ticket.number, top + p.unit(0.3), ACCENT)
    green = green_channel_class(flow, screen.result)
    if green is not None:
        _green_badge(p, green, p.texts[-1].rect, title.bottom)
    p.text(ticket_place_text(screen.result), p.px(0.04), INK, center=(p.width // 2, y + p.unit(0.05)),
           max_width=p.width - 40)
    if screen.result.window_hint:  # as the paper says it: a zone's row of counters is long
        y += p.unit(0.065)
        p.text(f"办理窗口：{screen.result.window_hint}", p.px(0.04), INK, center=(p.width // 2, y + p.unit(0.05)),
               max_width=p.width - 40)
    p.text(ticket_wait_text(ticket.people_ahead, ticket.estimated_wait_min), p.px(0.04), INK,
           center=(p.width // 2, y + p.unit(0.12)), max_width=p.width - 40)
    p.text("请留意叫号屏幕和语音提示；扫描号票上的二维码可在手机上查看进度", p.px(0.028), MUTED,
           center=(p.width // 2, y + p.unit(0.19)), max_width=p.width - 40)
    w, h = p.width // 4, p.unit(0.1)
    button = pygame.Rect((p.width - w) // 2, p.height - h - p.unit(0.04), w, h)
    if screen.result.warning_zh:  # paper nearly out: a small line for staff passing by; issuing goes on
        p.text(screen.result.warning_zh, p.px(0.028), WARN, center=(p.width // 2, button.top - p.unit(0.04)),
               max_width=p.width - 40)
    p.button(button, "完成", ("home", ""), size=p.px(0.045))


QR_BELOW, QR_ABOVE_RIGHT, QR_BELOW_RIGHT = "下方", "右上方", "右下方"
"""Where the 号票未能打印 screen's QR code is, seen from the advice text, as the advice names it:
centred below it (upright), in the column right of the number above it (lying down), or beside
the button under it (where neither had room). The advice said 下方 on every upright screen and
右侧 on every lying one, wherever :func:`unprinted_layout` had put the code."""


def unprinted_advice(window_hint: str | None, where: str | None) -> str:
    """What a citizen without paper does next, and ``where`` the QR code is (one of QR_BELOW,
    QR_ABOVE_RIGHT, QR_BELOW_RIGHT; None: there is none, and the advice does not ask to scan
    one): a function of its own so that tests wrap the very text the screen shows."""
    windows = f"{window_hint}窗口" if window_hint else "窗口"
    scan = f"也可用手机扫描{where}二维码查看进度。" if where else ""
    return f"请记住此号码并留意叫号，凭号码到{windows}办理；{scan}已通知工作人员处理打印机故障。"


def number_intro(green: str | None) -> tuple[str, tuple[int, int, int]]:
    """The line above a number no paper carries: for a green-channel ticket it names the channel
    and class (the paper's 【绿色通道】 never came out); a line, as the room above the number
    there takes no badge on an upright screen."""
    if green is None:
        return "您的号码是", INK
    return (f"您的绿色通道（{green}）号码是" if green else "您的绿色通道号码是"), OK


QR_MIN_SIDE = 132
"""The smallest QR code box the 号票未能打印 screen draws: 4 px modules for the version-3 code of a
status URL (33 modules with its quiet zone), still read by a phone at arm's length."""
SCAN_CAPTION = "手机扫码查看进度"


@dataclass(frozen=True)
class UnprintedLayout:
    """Where the 号票未能打印 screen puts its parts: the vertical centers of its lines (the advice
    by its top), the number's size and horizontal center, the QR code's box, and the advice's
    words, which say where that box is (:func:`unprinted_advice`). Chosen before
    anything is drawn, as the largest number and most generous spacing with which nothing
    overlaps: on 4:3 and 5:4 screens the code beside the number lay over it and over the service
    line, in 大字模式 even more. Shared by the frames that draw it (see :func:`unprinted_layout`):
    not to be changed."""

    intro: int
    intro_width: int
    number: int
    number_size: int
    number_x: int
    place: int
    wait: int
    advice: int
    qr: pygame.Rect
    advice_text: str


def unprinted_layout(p: Painter, top: int, title: pygame.Rect, texts: tuple[str, str, str, str],
                     window_hint: str | None, button: pygame.Rect, with_qr: bool) -> UnprintedLayout:
    """The layout for the screen's ``texts`` (intro, number, service, wait) and the advice (with
    the ``window_hint``, and where the QR code went) between the
    ``title`` (under the header's bottom ``top``) and the ``button``: the number at its full size
    with the usual spacing where that fits, else with the lines packed, else smaller step by step.
    Lying down, the QR code goes in a column right of the number (the number moves left where,
    centred, it would touch the code); upright, below the text; where neither leaves room for a
    code a phone reads, beside the button. Without a status URL, ``qr`` is empty.

    Kept in the painter's memo by all it depends on: the screen is drawn 30 times a second, and
    the tries measured every text again each time (about four times the 请取走您的票 screen)."""
    key = ("unprinted_layout", p.size, p.scale, top, tuple(title), texts, window_hint, tuple(button), with_qr)
    return p.memo.get(key, lambda: _unprinted_search(p, top, title, texts, window_hint, button, with_qr))


def _unprinted_search(p: Painter, top: int, title: pygame.Rect, texts: tuple[str, str, str, str],
                      window_hint: str | None, button: pygame.Rect, with_qr: bool) -> UnprintedLayout:
    """:func:`unprinted_layout` computed: the candidates in order, the first that fits."""
    full = p.px(0.2)
    for number_size in [int(full * k) for k in (1.0, 0.9, 0.8, 0.7, 0.6)]:
        for packed in (False, True):
            layout = _unprinted_try(p, top, title, texts, window_hint, button, with_qr, number_size, packed)
            if layout is not None:
                return layout
    # Nothing fits (a screen far smaller than any kiosk's): the smallest, packed, QR at its minimum.
    layout = _unprinted_try(p, top, title, texts, window_hint, button, with_qr, int(full * 0.6), True, force=True)
    assert layout is not None  # forced: no check refuses it
    return layout


def _unprinted_try(p: Painter, top: int, title: pygame.Rect, texts: tuple[str, str, str, str],
                   window_hint: str | None, button: pygame.Rect, with_qr: bool, number_size: int, packed: bool,
                   force: bool = False) -> UnprintedLayout | None:
    """One candidate of :func:`unprinted_layout`, or None when something would overlap. Each
    place for the QR code is tried with the advice that names it."""
    intro, number, place, wait = texts
    u = p.across if p.portrait else p.unit
    gap = p.unit(0.012)
    sizes = (p.px(0.04), number_size, p.px(0.04), p.px(0.035))
    heights = [p.measure(text, size).height for text, size in zip((intro, number, place, wait), sizes)]

    def below(nominal: int, above: int, height: int) -> int:
        """A line's center: where it usually goes, or just below the line above it."""
        least = above + gap + height // 2
        return least if packed else max(nominal, least)

    def bottom(center: int, height: int) -> int:
        return center - height // 2 + height

    intro_y = below(top + u(0.16), title.bottom, heights[0])
    number_y = below(top + u(0.33), bottom(intro_y, heights[0]), heights[1])
    y = bottom(number_y, heights[1])
    place_y = below(y + u(0.04), y, heights[2])
    wait_y = below(y + u(0.1), bottom(place_y, heights[2]), heights[3])
    advice_top = bottom(wait_y, heights[3]) + gap if packed else max(y + u(0.15), bottom(wait_y, heights[3]) + gap)

    def advice(where: str | None) -> tuple[UnprintedLayout | None, int]:
        """The layout with the advice that names ``where`` (None when it does not fit above the
        button), without the QR code yet; and the advice's bottom."""
        text = unprinted_advice(window_hint, where)
        text_bottom = advice_top + p.wrapped_height(text, p.px(0.032), p.width - p.unit(0.12))
        if text_bottom > button.top and not force:
            return None, text_bottom
        return UnprintedLayout(intro_y, p.width - 40, number_y, number_size, p.width // 2, place_y, wait_y,
                               advice_top, pygame.Rect(0, 0, 0, 0), text), text_bottom

    if not with_qr:
        return advice(None)[0]
    caption = p.measure(SCAN_CAPTION, p.px(0.028))
    margin = p.unit(0.02)
    laid, text_bottom = advice(QR_BELOW if p.portrait else QR_ABOVE_RIGHT)
    if laid is not None and not p.portrait:  # a column right of the number, under the title, above the service
        qr_top = title.bottom + gap
        side = _qr_side(p, place_y - heights[2] // 2 - gap - qr_top, caption, p.unit(0.28))
        number_width = p.measure(number, number_size).width
        while side >= QR_MIN_SIDE:
            center = min(p.width - p.unit(0.05) - side // 2, p.width - margin - caption.width // 2)
            column = center - max(side, caption.width) // 2 - gap  # the text left of the column ends here
            centred = p.width // 2 + number_width // 2 <= column
            if centred or number_width <= column - 2 * margin:  # else the number moves left, clear of it
                return replace(laid, number_x=p.width // 2 if centred else column // 2,
                               intro_width=2 * column - p.width if centred else column - 2 * margin,
                               qr=pygame.Rect(center - side // 2, qr_top, side, side))
            side -= 4
    elif laid is not None:  # below the text: beside the number it covered it on an upright screen
        area = pygame.Rect(0, text_bottom + gap, p.width, button.top - gap - text_bottom - gap)
        side = _qr_side(p, area.height, caption, p.across(0.4))
        if side >= QR_MIN_SIDE:
            return replace(laid, qr=pygame.Rect((p.width - side) // 2, area.top, side, side))
    # Beside the button row, right of the button, under the text: where a cramped screen has room.
    laid, text_bottom = advice(QR_BELOW_RIGHT)
    if laid is None:
        return None
    area = pygame.Rect(button.right + gap, text_bottom + gap, p.width - margin - button.right - gap,
                       p.height - margin - text_bottom - gap)
    side = min(_qr_side(p, area.height, caption, u(0.4) if p.portrait else p.unit(0.28)), area.width)
    if (side >= QR_MIN_SIDE and caption.width <= area.width) or force:
        side = max(side, QR_MIN_SIDE)
        return replace(laid, qr=pygame.Rect(area.centerx - side // 2, area.top, side, side))
    return None


def _qr_side(p: Painter, height: int, caption: pygame.Rect, largest: int) -> int:
    """The QR code's side that leaves room in ``height`` for the caption under it."""
    return min(largest, height - p.unit(0.01) - caption.height)


def draw_print_failed(p: Painter, flow: f.Flow, screen: f.PrintFailed) -> None:
    ticket = screen.result.ticket
    assert ticket is not None
    top = _header(p, flow, toggle=True)
    # Upright, the text is spaced by the width (by the height it took the room the QR code needs).
    u = p.across if p.portrait else p.unit
    # No paper came out: what the ticket would have said, and its status page as a QR code to scan
    # with a phone (only the number showed, for 20 s, with the printer's own "请联系工作人员换纸").
    title = p.text("非常抱歉，号票未能打印", p.px(0.06), ACCENT, center=(p.width // 2, top + u(0.08)))
    intro, color = number_intro(green_channel_class(flow, screen.result))
    place = ticket_place_text(screen.result)
    wait = ticket_wait_text(ticket.people_ahead, ticket.estimated_wait_min)
    w, h = p.width // 4, p.unit(0.1)
    button = pygame.Rect((p.width - w) // 2, p.height - h - p.unit(0.04), w, h)
    at = unprinted_layout(p, top, title, (intro, ticket.number, place, wait), screen.result.window_hint, button,
                          bool(screen.result.status_url))
    p.text(intro, p.px(0.04), color, center=(at.number_x, at.intro), max_width=at.intro_width)
    p.text(ticket.number, at.number_size, ACCENT, center=(at.number_x, at.number))
    p.text(place, p.px(0.04), INK, center=(p.width // 2, at.place), max_width=p.width - 40)
    p.text(wait, p.px(0.035), INK, center=(p.width // 2, at.wait), max_width=p.width - 40)
    p.wrapped(at.advice_text, p.px(0.032), INK, at.advice, p.width - p.unit(0.12))
    if screen.result.status_url:  # large enough for a phone at arm's length, clear of the number
        drawn = p.qr(screen.result.status_url, at.qr)
        size = p.px(0.028)
        caption = p.measure(SCAN_CAPTION, size)
        p.text(SCAN_CAPTION, size, MUTED, center=(at.qr.centerx, drawn.bottom + p.unit(0.01) + caption.height // 2))
    p.button(button, "我已记住", ("home", ""), size=p.px(0.045))


def draw_notice(p: Painter, flow: f.Flow, screen: f.Notice) -> None:
    top = _header(p, flow, toggle=True)
    p.text(screen.title, p.px(0.07), ACCENT, center=(p.width // 2, top + p.unit(0.15)))
    p.wrapped(screen.message, p.px(0.04), INK, top + p.unit(0.25), p.width - p.unit(0.12))
    w, h = p.width // 4, p.unit(0.1)
    y = p.height - h - p.unit(0.06)
    if screen.retry is not None or screen.reenter:
        first = ("重试", ("retry", "")) if screen.retry is not None else ("重新输入", ("appointment", ""))
        p.button(pygame.Rect(p.width // 2 - w - p.unit(0.02), y, w, h), first[0], first[1], size=p.px(0.045),
                 fill=ACCENT, ink=WHITE)
        p.button(pygame.Rect(p.width // 2 + p.unit(0.02), y, w, h), "返回首页", ("home", ""), size=p.px(0.045))
    else:
        p.button(pygame.Rect((p.width - w) // 2, y, w, h), "返回首页", ("home", ""), size=p.px(0.045))


CLOSED_CHECK_IN = "已预约的群众仍可签到：请扫预约码、刷身份证或点击预约签到"


def draw_closed(p: Painter, flow: f.Flow, screen: f.Closed) -> None:
    top = _header(p, flow, toggle=True)
    p.text("暂停取号", p.px(0.09), ACCENT, center=(p.width // 2, top + p.unit(0.2)))
    bottom = p.wrapped(screen.message, p.px(0.045), INK, top + p.unit(0.32), p.width - p.unit(0.12))
    p.text("已取号的群众请留意叫号，如有疑问请咨询大厅工作人员", p.px(0.03), MUTED, center=(p.width // 2, p.height - p.unit(0.08)),
           max_width=p.width - 40)
    if screen.check_in:
        bottom = p.wrapped(CLOSED_CHECK_IN, p.px(0.035), INK, bottom + p.unit(0.04), p.width - p.unit(0.12))
        w, h = p.width // 3, p.unit(0.1)
        p.button(pygame.Rect((p.width - w) // 2, bottom + p.unit(0.03), w, h), "预约签到", ("appointment", ""),
                 size=p.px(0.045), fill=WARN, ink=WHITE)


def draw_offline(p: Painter, flow: f.Flow, screen: f.Offline) -> None:
    top = _header(p, flow, toggle=True)
    p.text("暂停服务", p.px(0.09), ACCENT, center=(p.width // 2, top + p.unit(0.2)))
    p.wrapped(screen.message, p.px(0.045), INK, top + p.unit(0.32), p.width - p.unit(0.12))
    p.text("系统正在自动重新连接", p.px(0.03), MUTED, center=(p.width // 2, p.height - p.unit(0.08)))


def draw_loading(p: Painter, flow: f.Flow, screen: f.Loading) -> None:
    _header(p, flow)
    p.text(screen.message, p.px(0.05), INK, center=(p.width // 2, p.height // 2))


# Each drawer takes a screen of its key's type, which one value type for the dict cannot say: Any.
DRAWERS: dict[type, Callable[[Painter, f.Flow, Any], None]] = {
    f.Loading: draw_loading, f.Offline: draw_offline, f.Closed: draw_closed, f.Start: draw_start,
    f.Green: draw_green, f.Services: draw_services, f.Confirm: draw_confirm, f.IdNeeded: draw_id_needed,
    f.Appointment: draw_appointment,
    f.Working: draw_working, f.TicketOut: draw_ticket, f.PrintFailed: draw_print_failed, f.Notice: draw_notice,
}


def record(p: Painter, flow: f.Flow) -> None:
    """The flow's current screen, recorded in ``p`` (its ops, buttons, texts): nothing drawn yet."""
    p.fill(BG)
    DRAWERS[type(flow.screen)](p, flow, flow.screen)


def draw(p: Painter, flow: f.Flow) -> None:
    """The flow's current screen, recorded and drawn on the painter's surface."""
    record(p, flow)
    p.paint()
