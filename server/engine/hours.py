"""Working hours: whether a ticket may be issued now, and when issuing opens next.

Issuing follows the sessions of the day (morning, afternoon) and stops a set time before each
session ends; tickets already held are served regardless (serve_until_last).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from server.config.models import HallConfig


@dataclass(frozen=True)
class IssuingWindow:
    """One stretch of the day in which tickets are issued."""

    opens: datetime
    stops: datetime


@dataclass(frozen=True)
class IssuingState:
    open: bool
    reason: str | None  # "holiday", "before_opening", "lunch_break", "stopped", "after_closing"
    next_opening: datetime | None

    @property
    def takes_appointments(self) -> bool:
        """Whether a booked appointment may still check in although walk-ins are refused: closed
        by the day's timetable (before opening, lunch, the stop before a session ends) on a day
        that still has service ahead. The booking's own slot (early and late allowance) decides
        then; a citizen booked for 14:30 who came at 14:10, or for 08:30 at 08:05, was told
        午间休息 / 尚未开始取号 though `appointment_early_min` let them check in."""
        return not self.open and self.reason in ("before_opening", "lunch_break", "stopped")


def local_now(config: HallConfig, epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, ZoneInfo(config.hall.timezone))


def hall_day(config: HallConfig, epoch: float) -> date:
    return local_now(config, epoch).date()


def working_days_after(config: HallConfig, day: date, n: int) -> date:
    """The n-th working day of the hall's calendar after `day` (for n = 0 `day` itself, or the next
    working day if it is none): a deadline of "n working days" skips weekends and public holidays
    and counts make-up working days (调休), as the hall's own calendar says. A rating given on a
    Saturday with n = 1 is due on Monday, as one given on Friday."""
    if n == 0:
        while not config.is_working_day(day):
            day += timedelta(days=1)
    for _ in range(n):
        day += timedelta(days=1)
        while not config.is_working_day(day):
            day += timedelta(days=1)
    return day


def open_minutes_left(config: HallConfig, epoch: float) -> float:
    """Minutes of today's opening sessions still to come after `epoch` (lunch not counted)."""
    now = local_now(config, epoch)
    left = 0.0
    for session in config.sessions_on(now.date()):
        start = datetime.combine(now.date(), session.start, now.tzinfo)
        end = datetime.combine(now.date(), session.end, now.tzinfo)
        left += max(0.0, (end - max(start, now)).total_seconds() / 60)
    return left


def issuing_windows(config: HallConfig, day: date) -> list[IssuingWindow]:
    tz = ZoneInfo(config.hall.timezone)
    stop = timedelta(minutes=config.hours.stop_issuing_before_close_min)
    windows = []
    for session in config.sessions_on(day):
        opens = datetime.combine(day, session.start, tz)
        stops = datetime.combine(day, session.end, tz) - stop
        if stops > opens:
            windows.append(IssuingWindow(opens, stops))
    return windows


def next_opening(config: HallConfig, after: datetime, horizon_days: int = 40) -> datetime | None:
    """The first moment issuing opens strictly after `after` (holidays can last a week or more)."""
    for offset in range(horizon_days):
        for window in issuing_windows(config, after.date() + timedelta(days=offset)):
            if window.opens > after:
                return window.opens
    return None


def issuing_state(config: HallConfig, epoch: float) -> IssuingState:
    now = local_now(config, epoch)
    windows = issuing_windows(config, now.date())
    if not windows:
        return IssuingState(False, "holiday", next_opening(config, now))
    for window in windows:
        if window.opens <= now < window.stops:
            return IssuingState(True, None, None)
    following = next_opening(config, now)
    if now < windows[0].opens:
        reason = "before_opening"
    elif following is not None and following.date() == now.date():
        # Between sessions: stopped before the morning closes, or in the lunch break itself.
        in_session = any(
            datetime.combine(now.date(), s.start, now.tzinfo) <= now < datetime.combine(now.date(), s.end, now.tzinfo)
            for s in config.sessions_on(now.date())
        )
        reason = "stopped" if in_session else "lunch_break"
    else:
        last_end = config.sessions_on(now.date())[-1].end
        reason = "stopped" if now.time() < last_end else "after_closing"
    return IssuingState(False, reason, following)


class HallCalendar:
    """`hall_day` and `issuing_state` for one configuration, remembering the current day's bounds
    and issuing spans as epoch seconds. Both were worked out from the time zone and the session
    tables on every write (a twentieth of issuing a ticket); the day changes once a day."""

    def __init__(self, config: HallConfig):
        self.config = config
        self._tz = ZoneInfo(config.hall.timezone)
        self._day: date | None = None
        self._bounds = (0.0, 0.0)
        self._spans: tuple[tuple[float, float], ...] = ()

    # Within this of an edge the plain functions decide: datetime.fromtimestamp rounds to the
    # microsecond, so 23:59:59.9999998 is already the next day to them.
    EDGE_S = 0.001

    def day(self, epoch: float) -> date:
        if self._day is not None and self._bounds[0] + self.EDGE_S <= epoch < self._bounds[1] - self.EDGE_S:
            return self._day
        day = hall_day(self.config, epoch)
        if day != self._day:
            start = datetime.combine(day, time(0), self._tz).timestamp()
            end = datetime.combine(day + timedelta(days=1), time(0), self._tz).timestamp()
            self._spans = tuple((w.opens.timestamp(), w.stops.timestamp()) for w in issuing_windows(self.config, day))
            self._day, self._bounds = day, (start, end)
        return self._day

    def issuing(self, epoch: float) -> IssuingState:
        self.day(epoch)
        edge = self.EDGE_S
        if any(opens + edge <= epoch < stops - edge for opens, stops in self._spans):
            return IssuingState(True, None, None)
        return issuing_state(self.config, epoch)  # closed, or at an edge: say why and when it opens


REASON_ZH = {
    "holiday": "今日不办公",
    "before_opening": "尚未开始取号",
    "lunch_break": "午间休息",  # the kiosk's title already says 暂停取号
    "stopped": "已停止取号",
    "after_closing": "今日已下班",
}


def describe_closed(state: IssuingState) -> tuple[str, str]:
    """(Chinese, English) sentences for a kiosk and a log."""
    zh = REASON_ZH.get(state.reason or "", "暂停取号")
    en = f"issuing closed ({state.reason})"
    if state.next_opening is not None:
        zh += f"，下次取号时间：{state.next_opening:%m月%d日 %H:%M}"
        en += f"; opens at {state.next_opening:%Y-%m-%d %H:%M}"
    return zh, en
