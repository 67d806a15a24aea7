"""The assessment rules file (config/assessment.toml): a pydantic schema next to the code that
uses it; unknown or wrong keys are reported with the file, the key path and the reason."""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from server.config.loader import read_optional_toml
from server.config.problems import ConfigError, ConfigProblem, problems_from_validation

ASSESSMENT_FILE = "assessment.toml"
Points = float
Positive = Annotated[float, Field(ge=0)]
Share = Annotated[float, Field(ge=0, le=1)]


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScoreRule(_Rule):
    base: float = 100.0
    min: float = 0.0
    max: float = 120.0


class VolumeRule(_Rule):
    points_per_case: Positive = 0.02
    max_points: Positive = 10.0


class ServiceTimeRule(_Rule):
    default_norm_min: Annotated[float, Field(gt=0)] = 15.0
    norms_min: dict[str, Annotated[float, Field(gt=0)]] = {}
    over_factor: Annotated[float, Field(ge=1)] = 1.5
    points_per_case: Annotated[float, Field(le=0)] = -0.2
    max_deduction: Positive = 10.0

    def norm_s(self, queue: str) -> float:
        return self.norms_min.get(queue, self.default_norm_min) * 60


class WaitRule(_Rule):
    max_share: Share = 0.2
    points: Annotated[float, Field(le=0)] = -5.0


class SatisfactionRule(_Rule):
    min_share: Share = 0.95
    min_rated: Annotated[int, Field(ge=0)] = 10
    bonus: Positive = 3.0


class BadRatingRule(_Rule):
    points_each: Annotated[float, Field(le=0)] = -2.0


class TimeRule(_Rule):
    allowed_min_per_day: Positive = 30.0
    points_per_hour: Annotated[float, Field(le=0)] = -1.0


class NoShowRule(_Rule):
    max_rate: Share = 0.1
    points: Annotated[float, Field(le=0)] = -2.0


class AssessmentRules(_Rule):
    score: ScoreRule = ScoreRule()
    volume: VolumeRule = VolumeRule()
    service_time: ServiceTimeRule = ServiceTimeRule()
    waits: WaitRule = WaitRule()
    satisfaction: SatisfactionRule = SatisfactionRule()
    bad_ratings: BadRatingRule = BadRatingRule()
    paused: TimeRule = TimeRule()
    absent: TimeRule = TimeRule(allowed_min_per_day=15.0, points_per_hour=-2.0)
    no_shows: NoShowRule = NoShowRule()


def parse_rules(text: str, file: str = ASSESSMENT_FILE) -> AssessmentRules:
    """Rules from TOML text; every problem at once in a ConfigError (file, key, reason)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([ConfigProblem(file, "", f"not valid TOML: {exc}")]) from None
    return rules_from_mapping(raw, file)


def rules_from_mapping(raw: dict[str, Any], file: str = ASSESSMENT_FILE) -> AssessmentRules:
    try:
        return AssessmentRules.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(problems_from_validation(exc, file)) from None


def load_rules(config_dir: Path) -> AssessmentRules:
    """The hall's rules, or the defaults above when the hall has no assessment.toml. Read as the
    hall's own files are (a file saved as GBK or UTF-16 is named as such, not a traceback)."""
    raw = read_optional_toml(Path(config_dir), ASSESSMENT_FILE)
    return AssessmentRules() if raw is None else rules_from_mapping(raw, ASSESSMENT_FILE)
