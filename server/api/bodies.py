"""Request bodies of the API, validated at the boundary (unknown fields are refused)."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from server.engine.personal import mask_numbers_in_text, person_id_problem

ROW_ID_MAX = 2**63 - 1  # the databases' 64-bit integer keys: a larger number could never name a row


def _iso_date(value: Any) -> Any:
    """Only text like 2026-11-26 is a date here: pydantic's lax mode also read a number as a Unix
    time, so {"day": 0} closed 1970-01-01."""
    if not isinstance(value, str):
        raise ValueError("a date is written like 2026-11-26")
    return date.fromisoformat(value)


IsoDate = Annotated[date, BeforeValidator(_iso_date), Field(json_schema_extra={"format": "date"})]


def _person_id(value: str) -> str:
    """A mistyped ID would count as someone else for the per-person cap (engine.personal)."""
    problem = person_id_problem(value)
    if problem is not None:
        zh, en = problem
        raise PydanticCustomError("person_id", "{en}", {"en": en, "zh": zh})
    return value


PersonId = Annotated[str, Field(min_length=4, max_length=32), AfterValidator(_person_id)]
RowId = Annotated[int, Field(ge=1, le=ROW_ID_MAX)]


# Notes and reasons people write: stored and shown as written, ID and mobile numbers masked.
_MASKED = AfterValidator(mask_numbers_in_text)
Note = Annotated[str, Field(max_length=200), _MASKED]
Reason = Annotated[str, Field(min_length=1, max_length=200), _MASKED]
LongReason = Annotated[str, Field(min_length=2, max_length=500), _MASKED]


class Body(BaseModel):
    """Unknown fields are refused, and each field takes only its own JSON type: in pydantic's lax
    mode 0 was read as false, "5" as 5 and a number as a date (found by the API fuzzing)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class LoginBody(Body):
    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=256)]


class OwnPasswordBody(Body):
    current_password: Annotated[str, Field(min_length=1, max_length=256)]
    new_password: Annotated[str, Field(min_length=4, max_length=256)]


class PasswordBody(Body):
    password: Annotated[str, Field(min_length=4, max_length=256)]


class IssueBody(Body):
    """A ticket for a queue, an item (its queue) or a booked appointment: at least one of the three."""

    model_config = ConfigDict(json_schema_extra={"anyOf": [
        {"properties": {key: {"type": "string", "minLength": 1}}, "required": [key]} for key in ("queue", "item_code", "appointment_code")
    ]})
    queue: Annotated[str, Field(max_length=8)] | None = None
    item_code: Annotated[str, Field(max_length=40)] | None = None
    priority_class: Annotated[str, Field(max_length=16)] | None = None
    appointment_code: Annotated[str, Field(min_length=1, max_length=32)] | None = None
    person_id: PersonId | None = None


class PrintedBody(Body):
    printed: bool
    detail: Note | None = None


class ReasonBody(Body):
    reason: Reason


class PauseBody(Body):
    reason: Annotated[str, Field(min_length=1, max_length=32)]


class WindowLoginBody(Body):
    staff_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None


class HandOverBody(Body):
    """The colleague taking over a window signs in on the leaving clerk's pad."""

    staff_id: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=256)]


class CallBody(Body):
    number: Annotated[str, Field(min_length=2, max_length=16)]


class FinishBody(Body):
    outcome: Annotated[str, Field(min_length=1, max_length=24)] = "completed"


class TransferBody(Body):
    target_kind: Literal["queue", "window", "back_office"]
    target: Annotated[str, Field(min_length=1, max_length=16)]
    note: Note | None = None


class NoteBody(Body):
    note: Note | None = None


class RatingBody(Body):
    score: Annotated[int, Field(ge=1, le=5)]


class AppointmentBody(Body):
    code: Annotated[str, Field(min_length=4, max_length=32, pattern=r"^[A-Za-z0-9-]+$")]
    day: IsoDate
    queue: Annotated[str, Field(max_length=8)]
    slot_start: Annotated[str, Field(pattern=r"^\d{2}:\d{2}$")]
    slot_end: Annotated[str, Field(pattern=r"^\d{2}:\d{2}$")]
    item_code: Annotated[str, Field(max_length=40)] | None = None
    person_id: PersonId | None = None


class UserBody(Body):
    username: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
    password: Annotated[str, Field(min_length=4, max_length=256)]
    role: Literal["staff", "chief", "manager", "technician", "admin"]
    display_name: Annotated[str, Field(max_length=64)] = ""
    unit: Annotated[str, Field(max_length=16)] | None = None


class DeviceBody(Body):
    name: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
    role: Literal["kiosk", "display"]
    zone: Annotated[str, Field(max_length=8)] | None = None


class ActiveBody(Body):
    active: bool


class CloseDayBody(Body):
    day: IsoDate | None = None
