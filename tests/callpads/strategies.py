"""Hypothesis strategies for pad actions and displays, shared by the caller tests."""

from hypothesis import strategies as st

from caller.actions import ActionKind, PadAction, PadDisplay, TransferTarget

ascii_id = st.text(alphabet="0123456789ABCDEFGHJKLMNPQRSTUVWXYZ", min_size=1, max_size=12)
chinese = st.text(alphabet="请到号窗口办理暂停张三李四王五0123456789ABC", max_size=20)

SIMPLE = [
    ActionKind.LOGOUT, ActionKind.CALL_NEXT, ActionKind.RECALL, ActionKind.START, ActionKind.NO_SHOW,
    ActionKind.RESUME, ActionKind.CALL_OR_RECALL, ActionKind.TRANSFER_PRESET, ActionKind.NO_SHOW_OR_FINISH,
]

actions = st.one_of(
    st.builds(PadAction.login, ascii_id, st.text(alphabet="0123456789", max_size=8)),
    st.sampled_from(SIMPLE).map(PadAction.simple),
    st.builds(PadAction.call_number, ascii_id),
    st.builds(PadAction.finish, st.integers(0, 255)),
    st.builds(PadAction.transfer, st.sampled_from(list(TransferTarget)), ascii_id),
    st.builds(PadAction.pause, st.integers(0, 255)),
    st.builds(PadAction.rate, st.integers(1, 5)),
)

displays = st.one_of(
    st.builds(PadDisplay.show, ascii_id, chinese),
    st.builds(PadDisplay.waiting_count, st.integers(0, 65535)),
    st.builds(PadDisplay.ack, st.just(True), st.just(0), st.none() | st.integers(0, 65535), st.none() | st.booleans()),
    st.builds(PadDisplay.ack, st.just(False), st.integers(1, 255), st.none() | st.integers(0, 65535), st.none() | st.booleans()),
    st.builds(PadDisplay.login_state, st.booleans(), chinese),
    st.builds(PadDisplay.light_stars, st.integers(0, 5)),
    st.just(PadDisplay.clear()),
)
