"""The board's rules, event by event, without pygame or a hub."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from display.board.model import RECENT_CALLS, BoardModel, call_text
from server.hub_client import HubEvent, QueueInfo


class Events:
    """Hub events with increasing seq, shaped exactly like the stream's (server/engine payloads)."""

    def __init__(self, start: int = 100) -> None:
        self.seq = start

    def make(self, kind: str, number: str | None, zone: str = "A", queue: str | None = None,
             window: str | None = None, **payload: object) -> HubEvent:
        self.seq += 1
        return HubEvent(self.seq, 1000.0 + self.seq, kind, self.seq, number, zone, queue or (number or "A1")[:2],
                        window, dict(payload))

    def call(self, number: str, window_number: int, kind: str = "ticket.called", zone: str = "A",
             silent: bool = False, count: int = 1) -> HubEvent:
        window = f"W{window_number:02d}" if not silent else "BO-A"
        return self.make(kind, number, zone, window=window, window_number=None if silent else window_number,
                         window_name="后台审批室" if silent else f"{window_number}号窗口", silent=silent, call_count=count)


def fresh() -> BoardModel:
    """Zone A's board as the hub's state for zone A leaves it (the hub filters by zone)."""
    model = BoardModel()
    model.load(100, "2026-11-26", [
        QueueInfo("A1", "综合受理", "A", 10, 2, 20, 40),
        QueueInfo("A2", "户籍业务", "A", 0, 1, 0, 3),
    ])
    return model


def test_calls_show_newest_first_and_keep_the_last_eight() -> None:
    model, ev = fresh(), Events()
    for n in range(1, 12):
        assert model.apply(ev.call(f"A1{n:02d}", n))
    assert [c.number for c in model.recent] == [f"A1{n:02d}" for n in range(11, 3, -1)]
    assert len(model.recent) == RECENT_CALLS
    assert model.current is not None and model.current.text == "请 A111 号 到 11号窗口"


def test_recall_moves_the_ticket_to_the_top_once() -> None:
    model, ev = fresh(), Events()
    for number, window in (("A101", 1), ("A102", 2), ("A103", 3)):
        model.apply(ev.call(number, window))
    assert model.apply(ev.call("A101", 1, kind="ticket.recalled", count=2))
    assert [c.number for c in model.recent] == ["A101", "A103", "A102"]
    assert model.current is not None and model.current.call_count == 2
    # A recall does not change the waiting count: the ticket was already called.
    assert model.queues["A1"].waiting == 10 - 3


def test_back_office_calls_are_never_shown() -> None:
    model, ev = fresh(), Events()
    model.apply(ev.call("A101", 1))
    silent = ev.call("A205", 0, silent=True, kind="ticket.recalled")
    assert not model.apply(silent)
    assert [c.number for c in model.recent] == ["A101"]
    assert model.ignored == 1


def test_queue_counts_and_estimates_follow_the_events() -> None:
    model, ev = fresh(), Events()
    line = model.queues["A1"]
    assert (line.waiting, line.estimated_wait_min) == (10, 20)  # the hub's 2 min a person
    for n in range(3):
        model.apply(ev.make("ticket.issued", f"A1{n + 11}", queue="A1"))
    assert (line.waiting, line.estimated_wait_min) == (13, 26)
    model.apply(ev.call("A101", 1))
    model.apply(ev.make("ticket.cancelled", "A113", queue="A1"))
    assert (line.waiting, line.estimated_wait_min) == (11, 22)
    model.apply(ev.make("ticket.transferred", "A205", queue="A1", window="W02", target_kind="queue", target="A1"))
    model.apply(ev.make("ticket.requeued", "A104", queue="A1", ahead=1))
    assert line.waiting == 13
    # A queue the hub had no estimate for (nobody waiting) keeps "no estimate" until it learns one.
    a2 = model.queues["A2"]
    model.apply(ev.make("ticket.issued", "A201", queue="A2"))
    assert (a2.waiting, a2.estimated_wait_min) == (1, 0)
    model.apply(ev.call("A201", 2))
    assert (a2.waiting, a2.estimated_wait_min) == (0, 0)


def test_the_end_of_day_close_counts_only_tickets_that_were_waiting() -> None:
    """The hub closes the day's leftovers in the evening: a waiting ticket leaves its queue's
    count, one still at a window (called or serving) was not in it."""
    model, ev = fresh(), Events()
    line = model.queues["A1"]
    model.apply(ev.make("ticket.closed", "A150", queue="A1", was="waiting"))
    model.apply(ev.make("ticket.closed", "A101", queue="A1", window="W01", was="called"))
    model.apply(ev.make("ticket.closed", "A102", queue="A1", window="W01", was="serving"))
    assert line.waiting == 9


def test_replayed_events_are_not_counted_twice() -> None:
    """A reconnect replays from the last seq: everything at or below it must change nothing."""
    model, ev = fresh(), Events()
    issued = ev.make("ticket.issued", "A111", queue="A1")
    called = ev.call("A101", 1)
    assert model.apply(issued) and model.apply(called)
    before = model.snapshot()
    assert not model.apply(issued) and not model.apply(called)
    assert model.queues == before.queues and model.recent == before.recent
    assert model.last_seq == called.seq


def test_state_seeds_the_latest_calls() -> None:
    """A board switched on mid-morning lists the zone's latest calls as the hub gives them, newest
    first, up to its limit: finished and no-show ones too, not only those still at a window."""
    calls = [{"number": f"A1{n:02d}", "window_id": f"W{n:02d}", "window_number": n, "window_name": f"{n}号窗口",
              "called_at": 100.0 - n, "call_count": 1 + (n == 2)} for n in range(1, 11)]
    model = BoardModel()
    model.load(7, "2026-11-26", [], [], calls)
    assert [c.text for c in model.recent[:2]] == ["请 A101 号 到 1号窗口", "请 A102 号 到 2号窗口"]
    assert len(model.recent) == RECENT_CALLS and model.recent[1].call_count == 2
    assert model.last_seq == 7


def test_call_text_names_the_window() -> None:
    assert call_text("A001", 3) == "请 A001 号 到 3号窗口"
    assert call_text("C009", None, "不动产后台") == "请 C009 号 到 不动产后台"


KINDS = ["ticket.issued", "ticket.called", "ticket.recalled", "ticket.cancelled", "ticket.transferred",
         "ticket.requeued", "ticket.finished", "window.paused"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(KINDS), st.sampled_from(["A", "B"]), st.integers(1, 30), st.booleans()), max_size=60))
def test_any_event_sequence_keeps_the_board_sane(steps: list[tuple[str, str, int, bool]]) -> None:
    """Whatever arrives: counts never negative, recent calls unique, newest first, within the cap."""
    model, ev = fresh(), Events()
    for kind, zone, n, silent in steps:
        if kind in ("ticket.called", "ticket.recalled"):
            model.apply(ev.call(f"{zone}1{n:02d}", n, kind=kind, zone=zone, silent=silent))
        else:
            model.apply(ev.make(kind, f"{zone}1{n:02d}", zone=zone, queue=f"{zone}1"))
    numbers = [c.number for c in model.recent]
    assert len(numbers) == len(set(numbers)) <= RECENT_CALLS
    assert all(c.window_number is not None for c in model.recent)  # a back office's silent call never shows
    assert [c.seq for c in model.recent] == sorted((c.seq for c in model.recent), reverse=True)
    assert all(line.waiting >= 0 and (line.estimated_wait_min or 0) >= 0 for line in model.queues.values())


def window_state(wid: str, zone: str, queues: dict[str, int], state: str) -> dict:
    return {"id": wid, "number": int(wid[1:]), "name": f"{int(wid[1:])}号窗口", "zone": zone, "kind": "window",
            "queues": queues, "state": state, "current_ticket": None}


def staffed() -> BoardModel:
    """A1 served by W01 (open) and W02 (closed); A2 only by W02; B1 by W09 in zone B."""
    model = BoardModel()
    model.load(100, "2026-11-26", [
        QueueInfo("A1", "综合受理", "A", 6, 1, 30, 12, service_min=5.0),
        QueueInfo("A2", "户籍业务", "A", 0, 0, 0, 3, service_min=8.0),
    ], [window_state("W01", "A", {"A1": 1}, "idle"), window_state("W02", "A", {"A1": 1, "A2": 2}, "closed")])
    return model


def test_a_queue_nobody_serves_never_says_no_wait() -> None:
    """Tried: a queue with nobody waiting and no window open (staff not in yet, or all paused).
    Kept: the board says 暂无窗口; 无需等候 would send a citizen to take a ticket nobody calls."""
    model, ev = staffed(), Events()
    a1, a2 = model.queues["A1"], model.queues["A2"]
    assert (a2.waiting, a2.open_windows, a2.wait_text) == (0, 0, "暂无窗口")
    assert a1.wait_text == "约30分钟"
    assert model.apply(ev.make("window.login", None, queue="", window="W02"))
    assert (a2.open_windows, a2.wait_text) == (1, "无需等候")
    assert (a1.open_windows, a1.estimated_wait_min) == (2, 15)  # 6 people x 5 min over 2 windows
    model.apply(ev.make("ticket.issued", "A201", queue="A2"))
    assert a2.wait_text == "约8分钟"
    assert model.apply(ev.make("window.paused", None, queue="", window="W02", reason="会议"))
    assert (a2.open_windows, a2.estimated_wait_min, a2.wait_text) == (0, None, "暂无窗口")
    assert a1.estimated_wait_min == 30
    model.apply(ev.make("window.resumed", None, queue="", window="W02"))
    model.apply(ev.make("window.logout", None, queue="", window="W01", reason="下班"))
    assert (a1.open_windows, a1.estimated_wait_min) == (1, 30)
    model.apply(ev.make("window.logout", None, queue="", window="W02", reason="下班"))
    assert (a1.open_windows, a1.wait_text, a2.wait_text) == (0, "暂无窗口", "暂无窗口")


def test_window_events_count_once_and_only_for_known_windows() -> None:
    """Tried: a login replayed for a window already open, a pause of a closed window, a window of
    another zone and one the state did not list. Kept: each window counted once, in its own queues."""
    model, ev = staffed(), Events()
    a1 = model.queues["A1"]
    assert not model.apply(ev.make("window.login", None, queue="", window="W01"))  # already open
    assert not model.apply(ev.make("window.paused", None, queue="", window="W02"))  # closed already
    assert not model.apply(ev.make("window.login", None, zone="B", queue="", window="W09"))
    assert not model.apply(ev.make("window.login", None, queue="", window="W77"))
    assert a1.open_windows == 1
    snapshot = model.snapshot()
    model.apply(ev.make("window.logout", None, queue="", window="W01"))
    assert (a1.open_windows, snapshot.queues["A1"].open_windows, "W01" in snapshot.open_now) == (0, 1, True)


def test_a_back_office_case_never_moves_the_count() -> None:
    """Tried: a C1 case called at a window and sent to a back office, called there silently, then
    sent back to a window's queue. Kept: the board's count follows the hub's (which leaves a back
    office's cases out): the transfer there and the silent call change nothing, the return adds one."""
    model, ev = fresh(), Events()
    line = model.queues["A1"]
    model.apply(ev.call("A101", 1))
    assert line.waiting == 9
    model.apply(ev.make("ticket.transferred", "A101", queue="A1", window="W01", target_kind="back_office", target="BO-A"))
    model.apply(ev.call("A101", 0, silent=True))
    assert line.waiting == 9
    model.apply(ev.make("ticket.transferred", "A101", queue="A1", window="BO-A", target_kind="queue", target="A1"))
    assert line.waiting == 10
