"""The hub's JSON answers (orjson) read back exactly as the json module's encoding would.

Tried: what the API sends: Chinese text, dates and zoned times, a view with its own to_json, a
string enum, integer keys (hours in reports), nested lists, None and floats.
Kept: the decoded value equals the json module's; Chinese travels as UTF-8, not \\u escapes; a
value the hub cannot encode is a TypeError (the error middleware's 500), not silent garbage.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from zoneinfo import ZoneInfo

import pytest

from server.api.routing import _default, encode_json, json_text


class Status(str, Enum):
    WAITING = "waiting"


@dataclass
class View:
    number: str
    secret: str

    def to_json(self) -> dict[str, object]:
        return {"number": self.number}  # a view decides what leaves the hub


def test_answers_decode_as_the_json_module_would() -> None:
    value = {
        "message": "请到3号窗口办理",
        "day": date(2026, 11, 26),
        "at": datetime(2026, 11, 26, 9, 30, 5, 123456, tzinfo=ZoneInfo("Asia/Shanghai")),
        "ticket": View("A1001", "do-not-send"),
        "status": Status.WAITING,
        "by_hour": {8: 12, 9: 40},
        "waits": [1.5, 0.1, None, 3],
    }
    expected = json.loads(json.dumps(value, ensure_ascii=False, default=_default))
    assert json.loads(encode_json(value)) == expected == json.loads(json_text(value))
    assert expected["ticket"] == {"number": "A1001"} and expected["at"] == "2026-11-26T09:30:05.123456+08:00"
    assert "请到3号窗口办理".encode() in encode_json(value)


def test_a_value_the_hub_cannot_encode_is_an_error() -> None:
    with pytest.raises(TypeError):
        encode_json({"x": object()})
