"""The bell schedule and school-time helpers.

A school day is a list of numbered slots (periods), slot 1 first. Dates are the school's
local dates (``ROOMLOOP_TIMEZONE``); timestamps are stored in UTC.
"""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app

from .settings import get_setting


@dataclass(frozen=True)
class Slot:
    number: int
    start: time
    end: time
    label: str = field(init=False, compare=False)  # "09:00–09:50": a grid page asks 400 times

    def __post_init__(self):
        # An en dash, as in the API reference.
        object.__setattr__(self, "label", f"{self.start:%H:%M}–{self.end:%H:%M}")


class Schedule:
    def __init__(self, slots):
        self.slots = slots
        self._by_number = {slot.number: slot for slot in slots}

    @classmethod
    def from_periods(cls, periods):
        """The schedule of ``periods``, ``(start, end)`` pairs of "HH:MM" text, slot 1 first."""
        return cls(
            [
                Slot(i, time.fromisoformat(start), time.fromisoformat(end))
                for i, (start, end) in enumerate(periods, start=1)
            ]
        )

    @property
    def first(self):
        return self.slots[0].number

    @property
    def last(self):
        return self.slots[-1].number

    def __contains__(self, number):
        return number in self._by_number

    def __getitem__(self, number):
        return self._by_number[number]

    def labels(self, start_slot, end_slot):
        # A slot the schedule no longer has (an admin shortened the day) keeps a plain name.
        return [
            self[n].label if n in self else f"period {n}" for n in range(start_slot, end_slot + 1)
        ]

    def starts_at(self, day, number):
        """The aware school-time datetime at which slot ``number`` of ``day`` begins."""
        return datetime.combine(day, self[number].start, tzinfo=school_timezone())


def get_schedule():
    periods = tuple((p["start"], p["end"]) for p in get_setting("bell_schedule"))
    return _parsed_schedule(periods)


@lru_cache(maxsize=16)  # a schedule changes rarely and every request reads it
def _parsed_schedule(periods):
    return Schedule.from_periods(periods)


def school_timezone():
    return ZoneInfo(current_app.config["TIMEZONE"])


def school_now():
    return datetime.now(school_timezone())


def week_of(day):
    """Monday and Sunday of the ISO week that holds ``day``."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)
