"""The workload model of a hall: arrivals per hour and zone, service times, behaviour rates."""
from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

Z90 = 1.2815515655446004  # the standard normal's 90th percentile


@dataclass(frozen=True)
class ZoneProfile:
    code: str
    share: float
    windows: int
    service_median_min: float
    service_p90_min: float
    priority_share: float

    @property
    def service_lognormal(self) -> tuple[float, float]:
        """(mu, sigma) of the service time in minutes, from its median and 90th percentile."""
        mu = math.log(self.service_median_min)
        return mu, (math.log(self.service_p90_min) - mu) / Z90


@dataclass(frozen=True)
class TrafficProfile:
    tickets_per_day: int
    weekday_factor: dict[int, float]  # ISO weekday -> factor
    hourly_share: dict[int, float]
    zones: dict[str, ZoneProfile]
    appointment_share: float
    no_show_rate: float
    transfer_rate: float
    recall_rate: float
    evaluation_rate: float
    evaluation_share: dict[int, float]
    pauses_per_day: float
    wait_kpi_min: float

    def arrivals_per_hour(self, weekday: int, hour: int) -> float:
        """Citizens arriving in that hour of a day the hall is open. A weekday the profile gives no
        factor (a make-up working Saturday, 调休) counts as an ordinary day, 1.0: it had none, and
        simulated history left those working days without a citizen. Callers ask only for hours
        the hall issues tickets (a closed day has none)."""
        return self.tickets_per_day * self.weekday_factor.get(weekday, 1.0) * self.hourly_share.get(hour, 0.0)


_WEEKDAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}


def load_profile(path: Path) -> TrafficProfile:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    zones = {
        code: ZoneProfile(
            code=code,
            share=float(z["share"]),
            windows=int(z["windows"]),
            service_median_min=float(z["service_min"][0]),
            service_p90_min=float(z["service_min"][1]),
            priority_share=float(z["priority_share"]),
        )
        for code, z in raw["zones"].items()
    }
    behaviour = raw["behaviour"]
    return TrafficProfile(
        tickets_per_day=int(raw["hall"]["tickets_per_day"]),
        weekday_factor={_WEEKDAYS[k]: float(v) for k, v in raw["weekday_factor"].items()},
        hourly_share={int(k): float(v) for k, v in raw["hourly_arrival_share"].items()},
        zones=zones,
        appointment_share=float(behaviour["appointment_share"]),
        no_show_rate=float(behaviour["no_show_rate"]),
        transfer_rate=float(behaviour["transfer_rate"]),
        recall_rate=float(behaviour["recall_rate"]),
        evaluation_rate=float(behaviour["evaluation_rate"]),
        evaluation_share={int(k): float(v) for k, v in behaviour["evaluation_share"].items()},
        pauses_per_day=float(behaviour["staff_pause_per_day"]),
        wait_kpi_min=float(raw["targets"]["wait_kpi_min"]),
    )
