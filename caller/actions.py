"""Boundary dataclasses between call-pad dialects and the hub.

Why one generic vocabulary: every vendor's pad speaks its own bytes, but the hub only needs to
know *what the staff member asked for* and *what the pad should show*. Dialects translate bytes
to and from these values; the hub maps them onto queue-engine calls without knowing any vendor.
Nothing here imports the hub (no aiohttp, no SQLAlchemy, nothing from server/).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from caller.errors import InvalidPadValue


class ActionKind(enum.StrEnum):
    """Every staff action a pad can request.

    The three ``*_OR_*``/preset kinds exist because some pads (qsystem-ub485) have four keys whose
    meaning depends on the window's state; the dialect reports the raw key semantic and the hub,
    which knows the state, resolves it.
    """

    LOGIN = "login"
    LOGOUT = "logout"
    CALL_NEXT = "call_next"
    CALL_NUMBER = "call_number"
    RECALL = "recall"
    START = "start"
    FINISH = "finish"
    NO_SHOW = "no_show"
    TRANSFER = "transfer"
    PAUSE = "pause"
    RESUME = "resume"
    RATING = "rating"
    CALL_OR_RECALL = "call_or_recall"
    TRANSFER_PRESET = "transfer_preset"
    NO_SHOW_OR_FINISH = "no_show_or_finish"


class TransferTarget(enum.StrEnum):
    """Where a transferred case goes (HALL.md: queue, window or back office)."""

    QUEUE = "queue"
    WINDOW = "window"
    BACK_OFFICE = "back_office"


@dataclass(frozen=True, slots=True)
class PadAction:
    """One staff request. Use the class-method constructors; they validate the fields a kind needs.

    ``key`` carries the pad's raw key name (``key1``…) when the pad only knows keys, so the hub can
    log exactly what was pressed.
    """

    kind: ActionKind
    staff_id: str = ""
    password: str = ""
    number: str = ""
    outcome: int = 0
    target_kind: TransferTarget | None = None
    target: str = ""
    reason: int = 0
    rating: int = 0
    key: str = ""

    def __post_init__(self) -> None:
        if self.kind is ActionKind.RATING and not 1 <= self.rating <= 5:
            raise InvalidPadValue(f"rating must be 1..5, got {self.rating}")
        if self.kind is ActionKind.LOGIN and not self.staff_id:
            raise InvalidPadValue("login needs a staff id")
        if self.kind is ActionKind.CALL_NUMBER and not self.number:
            raise InvalidPadValue("call_number needs a ticket number")
        if self.kind is ActionKind.TRANSFER and self.target_kind is None:
            raise InvalidPadValue("transfer needs a target kind (queue, window or back_office)")
        for name in ("outcome", "reason"):
            value = getattr(self, name)
            if not 0 <= value <= 255:
                raise InvalidPadValue(f"{name} code must be 0..255, got {value}")

    @classmethod
    def login(cls, staff_id: str, password: str = "") -> PadAction:
        return cls(ActionKind.LOGIN, staff_id=staff_id, password=password)

    @classmethod
    def simple(cls, kind: ActionKind, key: str = "") -> PadAction:
        """Kinds without arguments: logout, call_next, recall, start, no_show, resume, key kinds."""
        return cls(kind, key=key)

    @classmethod
    def call_number(cls, number: str) -> PadAction:
        return cls(ActionKind.CALL_NUMBER, number=number)

    @classmethod
    def finish(cls, outcome: int = 0) -> PadAction:
        return cls(ActionKind.FINISH, outcome=outcome)

    @classmethod
    def transfer(cls, target_kind: TransferTarget, target: str) -> PadAction:
        return cls(ActionKind.TRANSFER, target_kind=TransferTarget(target_kind), target=target)

    @classmethod
    def pause(cls, reason: int = 0) -> PadAction:
        return cls(ActionKind.PAUSE, reason=reason)

    @classmethod
    def rate(cls, rating: int) -> PadAction:
        return cls(ActionKind.RATING, rating=rating)


@dataclass(frozen=True, slots=True)
class PadKeyEvent:
    """A decoded pad request as the bus delivers it to the hub.

    ``window_id`` is filled in by the bus from its address table (None for an address the table
    does not know); ``raw`` is the frame exactly as received, for the technician's log.
    """

    bus_address: int
    action: PadAction
    raw: bytes
    window_id: str | None = None


class DisplayKind(enum.StrEnum):
    """Everything the hub can ask a pad to show."""

    SHOW = "show"  # ticket number and/or a short state text
    WAITING = "waiting"  # number of citizens waiting for this window
    ACK = "ack"  # answer to the last command: ok or an error code
    LOGIN_STATE = "login_state"  # logged in (with staff name) or not
    STARS = "stars"  # light N of the rating pad's five stars (0 = all off)
    CLEAR = "clear"


@dataclass(frozen=True, slots=True)
class PadDisplay:
    """A command from the hub to one pad. Build with the class-method constructors.

    ``waiting`` and ``logged_in`` may ride along with an ACK because polled pads show them in the
    same reply; None means "not sent". ``blink`` on a SHOW asks for attention: the number was
    called and its citizen is not at the window yet. A pad that shows only the number (UB485)
    has no other way to tell the clerk whether its state-dependent key 4 will mark a no-show or
    finish; pads that show the state in words may ignore it.
    """

    kind: DisplayKind
    number: str = ""
    text: str = ""
    waiting: int | None = None
    ok: bool = True
    error_code: int = 0
    logged_in: bool | None = None
    stars: int = 0
    blink: bool = False

    def __post_init__(self) -> None:
        if self.kind is DisplayKind.STARS and not 0 <= self.stars <= 5:
            raise InvalidPadValue(f"stars must be 0..5, got {self.stars}")
        if self.waiting is not None and not 0 <= self.waiting <= 65535:
            raise InvalidPadValue(f"waiting count must be 0..65535, got {self.waiting}")
        if not 0 <= self.error_code <= 255:
            raise InvalidPadValue(f"error code must be 0..255, got {self.error_code}")

    @classmethod
    def show(cls, number: str, text: str = "", blink: bool = False) -> PadDisplay:
        return cls(DisplayKind.SHOW, number=number, text=text, blink=blink)

    @classmethod
    def waiting_count(cls, count: int) -> PadDisplay:
        return cls(DisplayKind.WAITING, waiting=count)

    @classmethod
    def ack(
        cls,
        ok: bool = True,
        error_code: int = 0,
        waiting: int | None = None,
        logged_in: bool | None = None,
    ) -> PadDisplay:
        return cls(DisplayKind.ACK, ok=ok, error_code=error_code, waiting=waiting, logged_in=logged_in)

    @classmethod
    def login_state(cls, logged_in: bool, staff_name: str = "") -> PadDisplay:
        return cls(DisplayKind.LOGIN_STATE, logged_in=logged_in, text=staff_name)

    @classmethod
    def light_stars(cls, stars: int) -> PadDisplay:
        return cls(DisplayKind.STARS, stars=stars)

    @classmethod
    def clear(cls) -> PadDisplay:
        return cls(DisplayKind.CLEAR)
