"""Domain errors with a stable code and a message in both of the hall's languages.

The API turns these into JSON error bodies; kiosks and call-pads show the Chinese message to the
person in front of them, logs and technicians get the English one. The code is the contract: it
never changes once published, so clients may branch on it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class HallQError(Exception):
    """A refused operation: nothing was changed when this is raised."""

    code: str
    message_zh: str
    message_en: str
    status: int = 409
    details: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code}: {self.message_en}"

    def to_json(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "message": self.message_zh,
                "message_en": self.message_en,
                "details": self.details,
            }
        }


def not_found(what_en: str, what_zh: str, key: object) -> HallQError:
    return HallQError(
        "not_found", f"未找到{what_zh}：{key}", f"{what_en} not found: {key}", 404, {"key": str(key)}
    )


def bad_request(message_en: str, message_zh: str, **details: Any) -> HallQError:
    return HallQError("bad_request", message_zh, message_en, 400, details)


def invalid_state(message_en: str, message_zh: str, **details: Any) -> HallQError:
    return HallQError("invalid_state", message_zh, message_en, 409, details)
