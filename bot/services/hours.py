"""Opening hours as merchants type them (English, Simplified or Traditional Chinese), stored as
JSON; `WeeklyHours.runs()` gives the presentation layer what to word in the reader's language.

Grammar, after NFKC folding (full-width `；，：～` and digits become ASCII):

    text    := clause ((";" | newline | "," before a day) clause)*
    clause  := days? hours                      -- no days: every day
    days    := item (("," | "、" | "/" | "&" | "and" | "和")? item)*
    item    := day (("-" | "–" | "~" | "to" | "至" | "到") day)? | group
    hours   := closed | full-day | range (","? range)*
    range   := HH:MM sep HH:MM                  -- end <= start: runs past midnight

`group` is Daily/Every day/每天/每日, Weekdays/工作日, Weekends/周末/週末; `closed` is
closed/off/休息/关门/關門/打烊/不营业/不營業; `full-day` is 24/7, 24h, 24 hours, 24小时/24小時,
全天. Days are Mon…Sun, 周一/週一/星期一/礼拜一/禮拜一 … 周日.
A day named `closed` is closed whatever other clauses say ("Daily 10:00-22:00; Sun closed"),
other clauses add up, and days never mentioned are closed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from bot.services.numbers import foreign_digits

__all__ = [
    "HoursErrorReason",
    "HoursSyntaxError",
    "Interval",
    "WeeklyHours",
    "parse_hours",
]

DAY_MINUTES = 24 * 60

Interval = tuple[int, int]
"""(start, end) in minutes from the day's midnight; end > 1440 runs into the next day."""

HoursErrorReason = Literal["unknown_day", "bad_time", "empty_range", "overlap", "empty"]


class HoursSyntaxError(ValueError):
    """Text the parser rejects; `reason` selects the translated hint, `fragment` is the part
    of the input to quote back to the merchant."""

    def __init__(self, reason: HoursErrorReason, fragment: str = "") -> None:
        super().__init__(f"{reason}: {fragment!r}" if fragment else reason)
        self.reason: HoursErrorReason = reason
        self.fragment = fragment


@dataclass(frozen=True)
class WeeklyHours:
    """A week of opening intervals, `days[0]` Monday … `days[6]` Sunday.

    Each day holds sorted, non-overlapping `Interval`s; an interval past 1440 spills into the
    next day, so "Fri 18:00-02:00" stays one interval on Friday.
    """

    days: tuple[tuple[Interval, ...], ...]

    def __post_init__(self) -> None:
        _validate(self.days)

    @classmethod
    def closed(cls) -> WeeklyHours:
        """Every day closed (also what the empty JSON column means)."""
        return cls(((),) * 7)

    @property
    def is_always_closed(self) -> bool:
        """True when no day has hours, e.g. nothing was entered yet."""
        return not any(self.days)

    def to_json(self) -> dict[str, Any]:
        """A compact, versioned dict for a JSON column: `{"v": 1, "w": [[[540, 1260]], ...]}`."""
        return {"v": 1, "w": [[[start, end] for start, end in day] for day in self.days]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> WeeklyHours:
        """Inverse of `to_json`; `{}`/None (a column's default) is "closed every day".

        Raises ValueError for data this version did not write.
        """
        if not data:
            return cls.closed()
        if data.get("v") != 1 or not isinstance(data.get("w"), list):
            raise ValueError(f"unsupported opening-hours data: {data!r}")
        try:
            days = tuple(tuple((int(start), int(end)) for start, end in day) for day in data["w"])
        except (TypeError, ValueError) as exc:
            raise ValueError(f"malformed opening-hours data: {data!r}") from exc
        return cls(days)

    def is_open(self, at: datetime) -> bool:
        """Whether the shop is open at `at`, an aware datetime already in the shop's zone.

        Reads only the wall clock, like the sign on the door, so DST needs no special case.
        """
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("is_open needs a timezone-aware datetime in the shop's zone")
        minute = at.hour * 60 + at.minute
        weekday = at.weekday()
        if any(start <= minute < end for start, end in self.days[weekday]):
            return True
        spill = minute + DAY_MINUTES  # the same instant on yesterday's clock
        return any(start <= spill < end for start, end in self.days[(weekday - 1) % 7])

    def runs(self) -> list[tuple[int, int, tuple[Interval, ...]]]:
        """(first day, last day, intervals) per run of consecutive days with equal hours, for
        the presentation layer to word (`bot.formatting.format_hours`); empty intervals: closed."""
        return [(first, last, self.days[first]) for first, last in _runs(self.days)]


def _runs(days: Sequence[tuple[Interval, ...]]) -> Iterator[tuple[int, int]]:
    first = 0
    for day in range(1, 8):
        if day == 7 or days[day] != days[first]:
            yield first, day - 1
            first = day


def hhmm(minute: int) -> str:
    """Minutes after midnight as a clock time; past midnight wraps (1560 → 02:00)."""
    if minute > DAY_MINUTES:
        minute -= DAY_MINUTES
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _validate(days: tuple[tuple[Interval, ...], ...]) -> None:
    """Reject data that would make `is_open`/`format` lie (corrupt JSON, hand-built values)."""
    if len(days) != 7:
        raise ValueError("opening hours need exactly 7 days")
    for intervals in days:
        previous_end = -1
        for interval in intervals:
            if (
                len(interval) != 2
                or not all(type(v) is int for v in interval)
                or not 0 <= interval[0] < DAY_MINUTES
                or not interval[0] < interval[1] <= interval[0] + DAY_MINUTES
            ):
                raise ValueError(f"bad opening interval {interval!r}")
            if interval[0] < previous_end:
                raise ValueError("opening intervals must be sorted and must not overlap")
            previous_end = interval[1]
    if _overlaps_next_day(days) is not None:
        raise ValueError("an overnight interval overlaps the next day's hours")


def _overlaps_next_day(days: Sequence[Sequence[Interval]]) -> int | None:
    """The first weekday whose hours start before the previous night's interval ends."""
    for weekday, intervals in enumerate(days):
        spill = max((end - DAY_MINUTES for _, end in intervals), default=0)
        following = (weekday + 1) % 7
        if spill > 0 and days[following] and days[following][0][0] < spill:
            return following
    return None


# --- parsing ---------------------------------------------------------------------------------

_ALL = frozenset(range(7))
_EN_DAY_WORDS = {
    **dict.fromkeys(("mon", "monday"), 0),
    **dict.fromkeys(("tue", "tues", "tuesday"), 1),
    **dict.fromkeys(("wed", "weds", "wednesday"), 2),
    **dict.fromkeys(("thu", "thur", "thurs", "thursday"), 3),
    **dict.fromkeys(("fri", "friday"), 4),
    **dict.fromkeys(("sat", "saturday"), 5),
    **dict.fromkeys(("sun", "sunday"), 6),
}
_GROUP_WORDS = {
    **dict.fromkeys(("daily", "everyday", "每天", "每日", "天天"), _ALL),
    **dict.fromkeys(("weekday", "weekdays", "工作日"), frozenset(range(5))),
    **dict.fromkeys(("weekend", "weekends", "周末", "週末"), frozenset((5, 6))),
}
_ZH_NUMERALS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_WORDS = {"to": "range", "and": "list", "closed": "closed", "close": "closed", "off": "closed"}
_FILLERS = frozenset(("open", "opens", "from", "营业"))

_TOKEN = re.compile(
    r"""
    (?P<space>[ \t\r\f\v:]+)  # a lone colon: "Mon-Fri: 09:00-21:00"
  | (?P<clause>[;\n。])
  | (?P<full>24\s*[/x*]\s*7|24\s*(?:h|hrs?|hours?)(?![a-z])|24\s*小[时時]|全天)
  | (?P<time>[0-9]+(?::[0-9]+)*)
  | (?P<every>every\s*day)
  | (?P<word>[a-z]+\.?)
  | (?P<zhgroup>每天|每日|天天|工作日|[周週]末)
  | (?P<zhday>(?:[周週]|星期|[礼禮]拜)[一二三四五六日天])
  | (?P<closed>休息|[关關][门門]|打烊|不[营營][业業]|歇[业業]|公休|休)
  | (?P<filler>[营營][业業])
  | (?P<zhnum>[一二三四五六日天])
  | (?P<range>[-–—~〜−至到])
  | (?P<list>[,、/&+和及•·])
  | (?P<other>.)
    """,
    re.VERBOSE | re.IGNORECASE,
)


@dataclass(frozen=True)
class _Token:
    kind: str  # day, zhday, zhnum, group, range, list, clause, time, full, closed, other
    text: str
    value: Any = None


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    for match in _TOKEN.finditer(text):
        kind, raw = match.lastgroup or "other", match.group()
        if kind in ("space", "filler"):
            continue
        if kind == "every":
            tokens.append(_Token("group", raw, _ALL))
        elif kind == "word":
            word = raw.rstrip(".").casefold()
            if word in _EN_DAY_WORDS:
                tokens.append(_Token("day", raw, _EN_DAY_WORDS[word]))
            elif word in _GROUP_WORDS:
                tokens.append(_Token("group", raw, _GROUP_WORDS[word]))
            elif word in _FILLERS:
                continue
            else:
                tokens.append(_Token(_WORDS.get(word, "other"), raw))
        elif kind == "zhgroup":
            tokens.append(_Token("group", raw, _GROUP_WORDS[raw]))
        elif kind in ("zhday", "zhnum"):
            tokens.append(_Token(kind, raw, _ZH_NUMERALS[raw[-1]]))
        else:
            tokens.append(_Token(kind, raw))
    return tokens


_DAY_KINDS = frozenset(("day", "zhday", "zhnum", "group"))


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self, offset: int = 0) -> _Token | None:
        index = self.pos + offset
        return self.tokens[index] if 0 <= index < len(self.tokens) else None

    def kind(self, offset: int = 0) -> str | None:
        token = self.peek(offset)
        return token.kind if token else None

    def fragment(self) -> str:
        token = self.peek()
        return token.text if token else ""

    def clauses(self) -> Iterator[tuple[frozenset[int], tuple[Interval, ...] | None]]:
        """Yield (days, intervals) per clause; intervals None means closed."""
        while True:
            while self.kind() in ("clause", "list") or (
                self.kind() == "range" and self.kind(-1) in (None, "clause")  # "- " bullet
            ):
                self.pos += 1
            if self.peek() is None:
                return
            days = self.days() or _ALL
            yield days, self.hours()
            kind = self.kind()
            if kind in ("time", "full", "closed", "range"):
                raise HoursSyntaxError("bad_time", self.fragment())

    def days(self) -> frozenset[int]:
        found: set[int] = set()
        range_start: _Token | None = None  # last single day, a possible range start
        pending: _Token | None = None  # range start waiting for its end
        pending_text = ""
        seen_zh_prefix = False
        while (token := self.peek()) is not None and token.kind in (
            *_DAY_KINDS,
            "range",
            "list",
            "other",
        ):
            if token.kind == "other" or (token.kind == "zhnum" and not seen_zh_prefix):
                raise HoursSyntaxError("unknown_day", token.text)
            if token.kind == "group":
                if pending is not None:
                    raise HoursSyntaxError("unknown_day", token.text)
                found |= token.value
                range_start = None
            elif token.kind in ("day", "zhday", "zhnum"):
                seen_zh_prefix = seen_zh_prefix or token.kind == "zhday"
                if pending is not None:
                    found.update(_day_span(pending.value, token.value))
                    pending = range_start = None
                else:
                    found.add(token.value)
                    range_start = token
            elif token.kind == "range":
                if range_start is None or pending is not None:
                    raise HoursSyntaxError("unknown_day", token.text)
                pending, range_start = range_start, None
                pending_text = f"{pending.text}{token.text}"
            elif pending is not None:  # a list separator right after "Mon-"
                raise HoursSyntaxError("unknown_day", token.text)
            else:
                range_start = None
            self.pos += 1
        if pending is not None:
            raise HoursSyntaxError("unknown_day", pending_text)
        return frozenset(found)

    def hours(self) -> tuple[Interval, ...] | None:
        token = self.peek()
        if token is None or token.kind == "clause":
            raise HoursSyntaxError("bad_time", "")
        if token.kind == "closed":
            self.pos += 1
            return None
        if token.kind == "full":
            self.pos += 1
            return ((0, DAY_MINUTES),)
        intervals = [self.time_range()]
        while True:
            if self.kind() == "time":
                intervals.append(self.time_range())
            elif self.kind() == "list" and self.kind(1) == "time":
                self.pos += 1
                intervals.append(self.time_range())
            else:
                return tuple(intervals)

    def time_range(self) -> Interval:
        first = self.peek()
        if first is None or first.kind != "time" or self.kind(1) != "range":
            raise HoursSyntaxError("bad_time", self.fragment())
        self.pos += 2
        second = self.peek()
        if second is None or second.kind != "time":
            raise HoursSyntaxError("bad_time", f"{first.text}-")
        self.pos += 1
        start, end = _minute(first.text, is_end=False), _minute(second.text, is_end=True)
        if start == end:
            raise HoursSyntaxError("empty_range", f"{first.text}-{second.text}")
        if end <= start:
            end += DAY_MINUTES
        return start, end


_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})")


def _minute(text: str, *, is_end: bool) -> int:
    match = _TIME.fullmatch(text)
    if match is None:
        raise HoursSyntaxError("bad_time", text)
    hour, minute = int(match[1]), int(match[2])
    if minute > 59 or hour > 24 or (hour == 24 and (minute or not is_end)):
        raise HoursSyntaxError("bad_time", text)
    return hour * 60 + minute


def _day_span(first: int, last: int) -> range | list[int]:
    """Days from `first` to `last` inclusive, wrapping past Sunday ("Fri-Mon")."""
    if first <= last:
        return range(first, last + 1)
    return [*range(first, 7), *range(last + 1)]


def parse_hours(text: str) -> WeeklyHours:
    """Parse what a merchant typed; raises HoursSyntaxError with a `reason` code. NFKC would
    read ² or ① as digits: only ASCII and full-width digits count (bot.services.numbers)."""
    if foreign := foreign_digits(text):
        raise HoursSyntaxError("bad_time", foreign[0])
    normalized = unicodedata.normalize("NFKC", text)
    tokens = _tokenize(normalized)
    if not any(token.kind not in ("clause", "list") for token in tokens):
        raise HoursSyntaxError("empty", text.strip())
    week: list[list[Interval]] = [[] for _ in range(7)]
    closed: set[int] = set()
    for days, intervals in _Parser(tokens).clauses():
        for day in days:
            if intervals is None:
                closed.add(day)
            else:
                week[day].extend(intervals)
    merged = [() if weekday in closed else _merge(day) for weekday, day in enumerate(week)]
    if (overlapping := _overlaps_next_day(merged)) is not None:
        start, end = merged[overlapping][0]
        raise HoursSyntaxError("overlap", f"{hhmm(start)}-{hhmm(end)}")
    return WeeklyHours(tuple(merged))


def _merge(intervals: list[Interval]) -> tuple[Interval, ...]:
    """Sort one day's intervals, join touching ones (12:00-14:00, 14:00-18:00), refuse overlaps."""
    result: list[Interval] = []
    for start, end in sorted(intervals):
        if result and start < result[-1][1]:
            raise HoursSyntaxError("overlap", f"{hhmm(start)}-{hhmm(end)}")
        if result and start == result[-1][1] and end - result[-1][0] <= DAY_MINUTES:
            result[-1] = (result[-1][0], end)
        else:
            result.append((start, end))
    return tuple(result)
