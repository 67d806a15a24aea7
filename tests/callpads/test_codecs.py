"""Per-dialect codec round trips, exact bytes, and fuzzing of the incremental decoders."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caller.actions import ActionKind, DisplayKind, PadAction, PadDisplay, TransferTarget
from caller.dialects import dialect_classes, make_dialect
from caller.dialects.hallq import Msg, encode_frame
from caller.errors import InvalidPadValue, UnknownDialect, UnsupportedByDialect

from .strategies import actions, displays

DIALECTS = ["qsystem-ub485", "polled-csv", "hallq"]


def first(name: str) -> int:
    return make_dialect(name).address_range[0]


def decode_all(name: str, data: bytes, chunk: int = 0) -> list:
    decoder = make_dialect(name).new_decoder()
    if not chunk:
        return decoder.feed(data)
    return [f for i in range(0, len(data), chunk) for f in decoder.feed(data[i : i + chunk])]


def test_every_dialect_is_discovered() -> None:
    assert set(DIALECTS) <= set(dialect_classes())


def test_unknown_dialect_and_parameter_are_named() -> None:
    with pytest.raises(UnknownDialect, match="nosuch"):
        make_dialect("nosuch")
    with pytest.raises(UnknownDialect, match="colour"):
        make_dialect("polled-csv", {"colour": "red"})


# qsystem-ub485 ---------------------------------------------------------------------------------
def test_qsystem_exact_bytes() -> None:
    """A display frame starts with the blink-mode byte, as QSystem's UB485 driver sends it (0x21 a
    called number, blinking; 0x20 steady): sent without it, a pad took the ticket's 'A' for its
    blink mode and showed the rest. blink_byte = false keeps text-only frames for other pads."""
    d = make_dialect("qsystem-ub485")
    assert d.encode_display(0x21, PadDisplay.show("A001", blink=True)) == bytes.fromhex("012121") + b"A001" + b"\x07"
    assert d.encode_display(0x21, PadDisplay.show("A001")) == bytes.fromhex("012120") + b"A001" + b"\x07"
    assert d.encode_display(0x21, PadDisplay.clear()) == b"\x01\x21\x20    \x07"
    assert d.encode_action(0x21, PadAction.simple(ActionKind.CALL_NEXT)) == bytes.fromhex("01213107")
    plain = make_dialect("qsystem-ub485", {"blink_byte": False})
    assert plain.encode_display(0x21, PadDisplay.show("A001", blink=True)) == bytes.fromhex("0121") + b"A001" + b"\x07"
    (frame,) = d.new_decoder().feed(d.encode_display(0x21, PadDisplay.show("A001", blink=True)))
    assert d.decode_display(frame) == PadDisplay.show("A001", blink=True)  # what the pad does with it


@pytest.mark.parametrize(
    ("key", "name", "kind"),
    [
        (0x31, "key1", ActionKind.CALL_OR_RECALL),
        (0x32, "key2", ActionKind.START),
        (0x33, "key3", ActionKind.TRANSFER_PRESET),
        (0x34, "key4", ActionKind.NO_SHOW_OR_FINISH),
    ],
)
def test_qsystem_keys_map_to_semantics(key: int, name: str, kind: ActionKind) -> None:
    d = make_dialect("qsystem-ub485")
    (frame,) = d.new_decoder().feed(bytes([0x01, 0x7F, key, 0x07]))
    event = d.decode_frame(frame)
    assert event is not None and event.bus_address == 0x7F
    assert event.action.kind is kind and event.action.key == name


def test_qsystem_rejects_what_it_cannot_say() -> None:
    d = make_dialect("qsystem-ub485")
    # A login cannot be sent from a 4-key pad; an address outside 0x20..0x7F is refused.
    with pytest.raises(UnsupportedByDialect):
        d.encode_action(0x21, PadAction.login("1001", "1234"))
    with pytest.raises(InvalidPadValue):
        d.encode_display(0x80, PadDisplay.show("A001"))


# polled-csv ------------------------------------------------------------------------------------
def test_polled_csv_exact_bytes_and_xor_option() -> None:
    d = make_dialect("polled-csv")
    assert d.encode_poll(7) == b"\x0207?\x03"
    assert d.encode_display(7, PadDisplay.ack(True, 0, 12, True)) == b"\x0207A1,0,12,1\x03"
    x = make_dialect("polled-csv", {"checksum": "xor"})
    frame = x.encode_poll(7)
    assert frame == b"\x0207?" + f"{ord('0') ^ ord('7') ^ ord('?'):02X}".encode() + b"\x03"
    assert x.new_decoder().feed(frame)[0].address == 7
    # A flipped bit fails the check: the frame is counted bad, nothing is delivered.
    dec = x.new_decoder()
    assert dec.feed(frame.replace(b"?", b">")) == [] and dec.stats.bad_frames == 1


def test_polled_csv_shows_a_name_its_font_lacks_with_a_question_mark() -> None:
    """Tried: a clerk named 王𠮷 (U+20BB7: no GBK code) logging in at a polled-csv pad. It was: a
    UnicodeEncodeError out of the bus's show(), no CallerError the hub handles, and no login
    shown on the pad. Kept: the pad gets the name with '?' for the character its GBK font lacks,
    as the LED window screens show it."""
    d = make_dialect("polled-csv")
    frame = d.encode_display(7, PadDisplay.login_state(True, "王\U00020BB7"))
    assert frame == b"\x0207" + bytes([frame[3]]) + "1,王?".encode("gbk") + b"\x03"


def polled_events(lines: list[str]) -> list[PadAction | None]:
    d = make_dialect("polled-csv")
    out = []
    for line in lines:
        (frame,) = d.new_decoder().feed(b"\x0203R" + line.encode("gbk") + b"\x03")
        event = d.decode_frame(frame)
        out.append(event.action if event else None)
    return out


def test_polled_csv_is_edge_triggered() -> None:
    # The pad repeats a request until acknowledged: the repeat must not call twice.
    assert polled_events(["F,,,,,,", "T,,,,,,", "T,A001,,,,,", "F,A001,,,,,", "T,A001,,,,,"]) == [
        None,
        PadAction.simple(ActionKind.CALL_NEXT),
        None,
        None,
        PadAction.simple(ActionKind.CALL_NEXT),
    ]


def test_polled_csv_status_letters() -> None:
    got = polled_events(
        ["N,,,,,,", "Q,,1001,1234,,,", "F,,,,,,", "B,,,,Q,B,", "S,,,,,,", "L,,,,,,", "Y,,,,,,4", "E,,,,,,", "F,,,,,,", "N,,,,,,"]
    )
    assert got == [
        None,  # first sight of a state is not an action
        PadAction.login("1001", "1234"),
        None,
        PadAction.transfer(TransferTarget.QUEUE, "B"),
        PadAction.simple(ActionKind.START),
        PadAction.finish(),
        PadAction.rate(4),
        PadAction.pause(),
        PadAction.simple(ActionKind.RESUME),
        PadAction.simple(ActionKind.LOGOUT),
    ]


def test_polled_csv_not_logged_in_after_a_request_is_no_logout() -> None:
    """Tried: a pad plugged in again pressing recall before the hub had shown it its clerk, then
    reporting its own not-logged-in state; and a login refused for a wrong PIN (Q, then N). It was:
    each N taken as the clerk's logout, which signed the window's clerk out unasked (or answered a
    refusal the pad took for its next login's). Kept: N is a logout only from a logged-in state."""
    assert polled_events(["P,,,,,,", "N,,,,,,"]) == [PadAction.simple(ActionKind.RECALL), None]
    assert polled_events(["N,,,,,,", "Q,,1001,9999,,,", "N,,,,,,"]) == [None, PadAction.login("1001", "9999"), None]
    assert polled_events(["S,,,,,,", "N,,,,,,"]) == [None, PadAction.simple(ActionKind.LOGOUT)]


def test_polled_csv_bad_values_are_not_actions() -> None:
    # Rating 9 and transfer type 'Z' are not actions; bad field counts are not status lines.
    assert polled_events(["Y,,,,,,9", "B,,,,Z,3,", "T,,,"]) == [None, None, None]


# hallq -----------------------------------------------------------------------------------------
def test_hallq_exact_bytes() -> None:
    d = make_dialect("hallq")
    # CALL_NEXT from pad 1, seq 7: A5 5A | 01 01 07 12 00 FF | CRC-16/MODBUS little-endian.
    frame = d.encode_action(1, PadAction.simple(ActionKind.CALL_NEXT), seq=7)
    assert frame[:8] == bytes.fromhex("A55A0101071200FF")
    from caller.crc import crc16_modbus

    assert frame[8:] == crc16_modbus(frame[2:8]).to_bytes(2, "little")


def test_hallq_acks_requests_and_drops_retransmissions() -> None:
    d = make_dialect("hallq")
    raw = d.encode_action(5, PadAction.rate(5), seq=9)
    (frame,) = d.new_decoder().feed(raw)
    assert d.decode_frame(frame) is not None
    assert d.reply_to(frame) == encode_frame(5, 9, Msg.ACK)
    # The same frame again (our ACK was lost): acknowledged again, delivered once.
    assert d.decode_frame(frame) is None
    assert d.reply_to(frame) == encode_frame(5, 9, Msg.ACK)


def test_hallq_naks_bad_payload() -> None:
    d = make_dialect("hallq")
    # Good CRC, rating 9: answered with NAK reason 3 (bad value), not delivered.
    (frame,) = d.new_decoder().feed(encode_frame(5, 1, Msg.RATING, b"\x09"))
    assert d.decode_frame(frame) is None
    assert d.reply_to(frame) == encode_frame(5, 1, Msg.NAK, b"\x03")


def test_hallq_refuses_oversized_payload() -> None:
    with pytest.raises(InvalidPadValue):
        make_dialect("hallq").encode_display(1, PadDisplay.show("A001", "请" * 120))


@given(actions, st.integers(0, 255))
def test_hallq_action_round_trip(action: PadAction, seq: int) -> None:
    d = make_dialect("hallq")
    (frame,) = d.new_decoder().feed(d.encode_action(3, action, seq))
    event = d.decode_frame(frame)
    assert event is not None and event.action == action and frame.seq == seq


@given(displays)
def test_hallq_display_round_trip(display: PadDisplay) -> None:
    d = make_dialect("hallq")
    (frame,) = d.new_decoder().feed(d.encode_display(3, display, seq=1))
    assert d.decode_display(frame) == display
    assert d.confirms(d.new_decoder().feed(d.pad_reply(frame))[0], 3, display, 1) is True


# round trips common to the line-oriented dialects -----------------------------------------------
POLLED_ACTIONS = actions.filter(
    lambda a: a.kind not in (ActionKind.CALL_NUMBER, ActionKind.CALL_OR_RECALL, ActionKind.TRANSFER_PRESET, ActionKind.NO_SHOW_OR_FINISH, ActionKind.NO_SHOW)
)


@given(POLLED_ACTIONS)
def test_polled_csv_action_round_trip(action: PadAction) -> None:
    d = make_dialect("polled-csv")
    decoder = d.new_decoder()
    d.decode_frame(decoder.feed(d.encode_status(4, None, "", True, paused=action.kind is ActionKind.RESUME))[0])
    event = d.decode_frame(decoder.feed(d.encode_action(4, action))[0])
    expected = {ActionKind.FINISH: PadAction.finish(), ActionKind.PAUSE: PadAction.pause()}.get(action.kind, action)
    assert event is not None and event.action == expected


@given(displays)
def test_polled_csv_display_round_trip(display: PadDisplay) -> None:
    d = make_dialect("polled-csv")
    (frame,) = d.new_decoder().feed(d.encode_display(4, display))
    # The pad shows a number only; the rest of each display survives exactly.
    expected = PadDisplay.show(display.number) if display.kind is DisplayKind.SHOW else display
    assert d.decode_display(frame) == expected


@given(displays)
def test_qsystem_display_is_the_pad_text(display: PadDisplay) -> None:
    d = make_dialect("qsystem-ub485")
    (frame,) = d.new_decoder().feed(d.encode_display(0x30, display))
    shown = d.decode_display(frame)
    assert shown is not None and len(frame.data) == 1 + 4  # the blink byte, then the text
    if display.kind is DisplayKind.SHOW:
        assert shown == PadDisplay.show(display.number[:4].strip())


# fuzzing ---------------------------------------------------------------------------------------
def valid_frames(name: str) -> st.SearchStrategy[bytes]:
    d = make_dialect(name)
    low = d.address_range[0]
    if name == "polled-csv":
        return displays.map(lambda x: d.encode_display(low, x))
    if name == "qsystem-ub485":
        pad_keys = [ActionKind.CALL_OR_RECALL, ActionKind.START, ActionKind.TRANSFER_PRESET, ActionKind.NO_SHOW_OR_FINISH]
        return st.sampled_from(pad_keys).map(lambda k: d.encode_action(low, PadAction.simple(k)))
    return actions.map(lambda a: d.encode_action(low, a, 1))


@pytest.mark.parametrize("name", DIALECTS)
@settings(max_examples=150)
@given(data=st.data())
def test_arbitrary_bytes_never_raise(name: str, data: st.DataObject) -> None:
    d = make_dialect(name)
    decoder = d.new_decoder()
    blob = data.draw(st.binary(max_size=400), label="bytes")
    chunk = data.draw(st.integers(1, 64), label="chunk")
    total = 0
    for i in range(0, len(blob), chunk):
        for frame in decoder.feed(blob[i : i + chunk]):
            total += 1
            d.decode_frame(frame)
            d.decode_display(frame)
            d.reply_to(frame)
            d.pad_reply(frame)
            d.confirms(frame, frame.address, PadDisplay.show("A001"), 0)
    assert decoder.stats.frames == total
    assert decoder.stats.garbage_bytes <= len(blob)


@pytest.mark.parametrize("name", DIALECTS)
@settings(max_examples=150)
@given(data=st.data())
def test_valid_frame_after_garbage_is_found(name: str, data: st.DataObject) -> None:
    garbage = data.draw(st.binary(max_size=200), label="garbage")
    frame = data.draw(valid_frames(name), label="frame")
    chunk = data.draw(st.integers(1, 32), label="chunk")
    frames = decode_all(name, garbage + frame, chunk)
    assert frames and frames[-1].raw == frame


@pytest.mark.slow
@pytest.mark.parametrize("name", DIALECTS)
@settings(max_examples=5000)
@given(data=st.data())
def test_resync_long_fuzz(name: str, data: st.DataObject) -> None:
    garbage = data.draw(st.binary(max_size=2000))
    frame = data.draw(valid_frames(name))
    assert decode_all(name, garbage + frame + garbage[:50] + frame, 7)[-1].raw == frame
