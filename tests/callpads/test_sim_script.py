"""The simulator's script format and CLI, driven against a real bus."""

from __future__ import annotations

import asyncio

import pytest

from caller.actions import ActionKind, PadAction, PadDisplay, TransferTarget
from caller.sim import ScriptError, action_for, main, parse_script

SCRIPT = """
# a morning at window 1
0    1 login 1001 8888
+0.02 1 call
+0   1 wait-show A001 3
+0   1 start
+0.02 1 transfer back_office BO1
+0   * noise 01a55aff
+0.02 1 rate 5
"""


def test_parse_script() -> None:
    steps = parse_script(SCRIPT)
    assert [s.verb for s in steps] == ["login", "call", "wait-show", "start", "transfer", "noise", "rate"]
    assert steps[0].relative is False and steps[1].relative is True and steps[5].address is None
    assert action_for("transfer", ["back_office", "BO1"]) == PadAction.transfer(TransferTarget.BACK_OFFICE, "BO1")


@pytest.mark.parametrize(
    ("line", "reason"),
    [("1 1", "expected TIME PAD VERB"), ("x 1 call", "bad time"), ("0 1 fly", "unknown pad verb"), ("0 1 rate 9", "rating")],
)
def test_bad_script_lines_name_the_line(line: str, reason: str) -> None:
    with pytest.raises(ScriptError, match=reason):
        parse_script("# header\n" + line)


async def test_script_drives_a_bus(rig_factory) -> None:
    rig = await rig_factory("hallq")

    async def hub() -> None:  # a minimal hub: show the called number when asked to call
        await rig.received.wait_for(2)
        await rig.bus.show(1, PadDisplay.show("A001"))

    hub_task = asyncio.create_task(hub())
    await asyncio.wait_for(rig.sim.run_script(parse_script(SCRIPT)), 5)
    events = await rig.received.wait_for(5)
    await hub_task
    assert [e.action.kind for e in events] == [
        ActionKind.LOGIN, ActionKind.CALL_NEXT, ActionKind.START, ActionKind.TRANSFER, ActionKind.RATING
    ]
    assert all(e.window_id == "W01" for e in events)


def test_cli_runs_a_script_and_reports_the_path(tmp_path, capsys) -> None:
    script = tmp_path / "keys.txt"
    script.write_text("0 1 call\n+0.01 * noise 5\n")
    assert main(["--dialect", "hallq", "--pads", "2", "--script", str(script), "--duration", "0.05"]) == 0
    out = capsys.readouterr().out
    assert "hallq pads 1..2 on " in out and "pad-bus" in out


def test_cli_bad_script_exits_2(tmp_path, capsys) -> None:
    script = tmp_path / "bad.txt"
    script.write_text("0 1 explode\n")
    assert main(["--script", str(script)]) == 2
    assert "line 1" in capsys.readouterr().err


def test_cli_refuses_a_key_the_dialects_pads_cannot_send(tmp_path, capsys) -> None:
    """Tried: a polled-csv script with a no-show (its pads have no such key). It was: accepted,
    then every poll raised UnsupportedByDialect (86 tracebacks in 12 s) and pad 2 never answered
    again: a dead pad to the technician. Kept: refused before anything runs, naming the line."""
    script = tmp_path / "keys.txt"
    script.write_text("0 1 call\n0.5 2 no-show\n")
    assert main(["--dialect", "polled-csv", "--pads", "2", "--script", str(script), "--duration", "0.05"]) == 2
    err = capsys.readouterr().err
    assert "script line 2: no-show" in err and "cannot report no_show" in err and "Traceback" not in err
    script.write_text("0 1 call\n")
    assert main(["--dialect", "polled-csv", "--pads", "2", "--script", str(script), "--duration", "0.05"]) == 0
