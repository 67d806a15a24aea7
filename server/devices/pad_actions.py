"""What a pad key means for the queue engine: one PadAction at one window -> one engine call.

Why a separate module: the pad bus only knows "staff at window W pressed X". Turning that into
the right engine call needs the window's state (few-key pads send "call or recall", "no-show or
finish"), the account check for a login, the hall's pause-reason and outcome codes, and the pad's
preset transfer target. All of it lives here, with no serial I/O, so every rule is one function.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from caller.actions import ActionKind, PadAction
from server.accounts import Accounts, Role
from server.config.models import HallConfig
from server.devices.config import TransferPreset
from server.devices.directory import Directory
from server.engine.engine import QueueEngine
from server.engine.views import TicketStatus, TicketView, WindowView
from server.errors import HallQError, bad_request
from server.seating import refuse_other_unit

#: people who may log in at a window from a pad (technicians and kiosks may not)
PAD_ROLES = frozenset({Role.STAFF, Role.CHIEF, Role.MANAGER, Role.ADMIN})

#: HallQError code -> the u8 a pad shows ("E3"); 255 = any other refusal. Stable: pads print it.
ERROR_CODES: Mapping[str, int] = {
    "window_closed": 1,
    "window_busy": 2,
    "window_paused": 3,
    "invalid_state": 4,
    "not_found": 5,
    "bad_request": 6,
    "window_taken": 7,
    "already_rated": 8,
    "login_failed": 9,
    "not_supported": 10,
    "recall_limit": 11,  # was 255: a qsystem pad showed E255 where it should say "mark a no-show"
    "no_rating_here": 12,
    # not saved, try again: the database is unreachable or full (server/storage/outage.py); a pad
    # showed E255, which says nothing the clerk can act on
    "database_unavailable": 13,
    "storage_full": 13,
    "other_unit": 14,  # a clerk keyed in at another unit's window (server/seating.py)
    # too many wrong PINs from this pad (server/login_guard.py): was 255, even for the right PIN
    # during the wait, and the clerk took the pad or their account for broken
    "locked_out": 15,
}


REPEATED_CALL_KEY_S = 3.0
"""A combined call/recall key pressed again this soon after the call is the same press repeated
(the key bounced, or the clerk pressed again before the pad showed the number), not a recall:
the zone heard the number twice before its first announcement had ended, and one of the
citizen's recalls was used up."""


@dataclass(frozen=True)
class ActionResult:
    """The outcome the pad is told about: ok, or an error code with the Chinese reason."""

    ok: bool
    error_code: int = 0
    message: str = ""
    staff_name: str = ""
    empty: bool = False  # call_next found nobody waiting

    @classmethod
    def refused(cls, error: HallQError) -> ActionResult:
        return cls(False, ERROR_CODES.get(error.code, 255), error.message_zh)


def code_table(codes: Mapping[str, str]) -> dict[int, str]:
    """Pad codes 1..N for the hall's labelled codes, in the order the hall declares them."""
    return {index: code for index, code in enumerate(codes, start=1)}


class PadActions:
    """Applies pad actions for one hub. Stateless apart from its collaborators."""

    def __init__(self, engine: QueueEngine, accounts: Accounts, directory: Directory, config: HallConfig) -> None:
        self._engine = engine
        self._accounts = accounts
        self._directory = directory
        self._pause_reasons = code_table(config.rules.pause_reasons)
        self._outcomes = code_table(config.rules.finish_outcomes)
        self._default_pause = "other" if "other" in config.rules.pause_reasons else self._pause_reasons[1]
        self._default_outcome = "completed" if "completed" in config.rules.finish_outcomes else self._outcomes[1]

    @staticmethod
    def _coded(table: Mapping[int, str], code: int, default: str, what_zh: str) -> str:
        """A pad's numbered code for an outcome or a pause reason; 0 (the pad has no such keys)
        is the hall's default. A number the hall has not defined is refused (error 6), where it
        was taken as the default: a mistyped 9 counted as 办结 in the statistics and assessment."""
        if code == 0:
            return default
        if code not in table:
            raise bad_request(f"no {what_zh} has pad code {code} (codes 1-{len(table)})", f"{what_zh}代码 {code} 未定义（可用 1-{len(table)}）")
        return table[code]

    async def perform(self, window_id: str, action: PadAction, preset: TransferPreset | None = None) -> ActionResult:
        """Do what the pad asked; every refusal comes back as a result, nothing raises HallQError."""
        try:
            return await self._perform(window_id, action, preset)
        except HallQError as error:
            return ActionResult.refused(error)

    async def _perform(self, window_id: str, action: PadAction, preset: TransferPreset | None) -> ActionResult:
        engine = self._engine
        match action.kind:
            case ActionKind.LOGIN:
                return await self._login(window_id, action.staff_id, action.password)
            case ActionKind.LOGOUT:
                await engine.logout(window_id)
            case ActionKind.CALL_NEXT:
                return ActionResult(True, empty=await engine.call_next(window_id) is None)
            case ActionKind.CALL_NUMBER:
                await engine.call_ticket(window_id, action.number)
            case ActionKind.RECALL:
                await engine.recall(window_id)
            case ActionKind.START:
                await engine.start(window_id)
            case ActionKind.FINISH:
                await engine.finish(window_id, self._coded(self._outcomes, action.outcome, self._default_outcome, "办结结果"))
            case ActionKind.NO_SHOW:
                await engine.no_show(window_id)
            case ActionKind.TRANSFER:
                assert action.target_kind is not None
                await engine.transfer(window_id, action.target_kind.value, action.target)
            case ActionKind.PAUSE:
                await engine.pause(window_id, self._coded(self._pause_reasons, action.reason, self._default_pause, "暂停原因"))
            case ActionKind.RESUME:
                await engine.resume(window_id)
            case ActionKind.RATING:
                await self._rate(window_id, action.rating)
            case ActionKind.CALL_OR_RECALL:
                current = await self._current(window_id)
                if current is not None and current.status == TicketStatus.CALLED:
                    if current.called_at is not None and engine.clock.now() - current.called_at < REPEATED_CALL_KEY_S:
                        return ActionResult(True)  # the call just made stands; the pad shows it
                    await engine.recall(window_id)
                else:
                    return ActionResult(True, empty=await engine.call_next(window_id) is None)
            case ActionKind.NO_SHOW_OR_FINISH:
                current = await self._current(window_id)
                if current is not None and current.status == TicketStatus.CALLED:
                    await engine.no_show(window_id)
                else:
                    await engine.finish(window_id, self._default_outcome)
            case ActionKind.TRANSFER_PRESET:
                if preset is None:
                    raise HallQError("not_supported", "该呼叫器未设置转移目标", "no transfer preset for this pad", 400)
                await engine.transfer(window_id, preset.kind, preset.target)
        return ActionResult(True)

    async def _current(self, window_id: str) -> TicketView | None:
        view: WindowView = await self._engine.window(window_id)
        return view.current_ticket

    async def _login(self, window_id: str, staff_id: str, password: str) -> ActionResult:
        now = self._engine.clock.now()
        principal = await self._accounts.sign_in(staff_id, password, source=f"pad:{window_id}", now=now)
        if principal is None or principal.role not in PAD_ROLES:
            raise HallQError("login_failed", "工号或密码错误", f"pad login refused for {staff_id!r}", 401)
        refuse_other_unit(self._engine.config, window_id, principal)
        held_by = (await self._engine.window(window_id)).staff_id
        if held_by not in (None, principal.name):
            # 交接 at the pad, as on the web pad: the colleague keys their own id and PIN on the
            # window's pad and takes the window with its parked cases (a ticket at the counter is
            # refused, 4). It was refused as window_taken (7), and with a case parked the leaving
            # clerk could not log out either: the relief had to find a browser.
            await self._engine.hand_over(window_id, principal.name)
        else:
            await self._engine.login(window_id, principal.name)
        return ActionResult(True, staff_name=principal.display_name)

    async def _rate(self, window_id: str, score: int) -> None:
        """The citizen rates the visit being served here, or the one just finished. Not at a back
        office: no citizen is there, so a rating keyed there was its clerk's, charged to the front
        window's staff (QueueEngine._rated_window)."""
        window = self._engine.config.window(window_id)
        if window is not None and window.kind == "back_office":
            raise HallQError("no_rating_here", "后台审批室不能评价（群众在窗口评价）", f"{window_id} is a back office: no citizen rates there", 409)
        current = await self._current(window_id)
        if current is not None and current.status == TicketStatus.SERVING:
            ticket_id: int | None = current.id
        else:
            ticket_id = await self._directory.last_ticket_at(window_id, self._engine.today())
        if ticket_id is None:
            raise HallQError("invalid_state", "当前没有可评价的办件", f"nothing to rate at {window_id}", 409)
        await self._engine.rate(ticket_id, score, source="pad")
