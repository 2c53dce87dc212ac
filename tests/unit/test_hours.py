"""Opening hours: every accepted syntax, each error reason, midnight handling, every language."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.formatting import format_hours
from bot.i18n import LANGUAGES
from bot.services.hours import HoursSyntaxError, WeeklyHours, parse_hours

SHANGHAI = ZoneInfo("Asia/Shanghai")
CLOSED: list[list[int]] = []
NINE_TO_NINE = [[540, 1260]]
TEN_TO_SIX = [[600, 1080]]
TEN_TO_TEN = [[600, 1320]]
ALL_DAY = [[0, 1440]]
SPLIT = [[540, 720], [840, 1080]]
OVERNIGHT = [[1080, 1560]]
WORK_WEEK = [NINE_TO_NINE] * 5 + [TEN_TO_SIX, CLOSED]


def at(day: int, hhmm: str) -> datetime:
    """Shanghai wall time on the week of Monday 2024-06-03 (`day` 0=Mon … 7=next Mon)."""
    hour, minute = map(int, hhmm.split(":"))
    return datetime(2024, 6, 3 + day, hour, minute, tzinfo=SHANGHAI)


def week(text: str) -> list[list[list[int]]]:
    days: list[list[list[int]]] = parse_hours(text).to_json()["w"]
    return days


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mon-Fri 09:00-21:00; Sat 10:00-18:00", WORK_WEEK),
        ("Mon,Wed 9:00-12:00, 14:00-18:00", [SPLIT, CLOSED, SPLIT] + [CLOSED] * 4),
        ("Daily 10:00-22:00", [TEN_TO_TEN] * 7),
        ("Sun closed", [CLOSED] * 7),
        ("Fri-Sat 18:00-02:00", [CLOSED] * 4 + [OVERNIGHT] * 2 + [CLOSED]),
        ("24/7", [ALL_DAY] * 7),
        ("00:00-24:00", [ALL_DAY] * 7),
        ("周一至周五 09:00-21:00；周六 10:00-18:00", WORK_WEEK),
        ("每天 10:00-22:00", [TEN_TO_TEN] * 7),
        ("周日 休息", [CLOSED] * 7),
        # the same, typed differently
        ("Monday-Friday 09:00-21:00\nSaturday 10:00-18:00\nSunday closed", WORK_WEEK),
        ("mon-fri 9:00-21:00 ; SAT 10:00 - 18:00", WORK_WEEK),
        ("Mon-Fri: 09:00-21:00, Sat: 10:00-18:00", WORK_WEEK),
        ("Mon to Fri 09:00 to 21:00; Sat 10:00~18:00", WORK_WEEK),
        ("Mon–Fri 09:00–21:00; Sat 10:00–18:00; Sun closed", WORK_WEEK),
        ("星期一至星期五 09:00-21:00\n星期六 10:00-18:00\n星期日 休息", WORK_WEEK),
        ("周一到周五 ０９：００－２１：００；周六 １０：００～１８：００", WORK_WEEK),
        ("周一至五 09:00-21:00；周六 10:00-18:00；周天休息", WORK_WEEK),
        ("周一、周三 9:00-12:00，14:00-18:00", [SPLIT, CLOSED, SPLIT] + [CLOSED] * 4),
        ("周一、三 9:00-12:00, 14:00-18:00", [SPLIT, CLOSED, SPLIT] + [CLOSED] * 4),
        ("Weekdays 09:00-21:00; Weekends closed", [NINE_TO_NINE] * 5 + [CLOSED] * 2),
        ("工作日 09:00-21:00；周末 10:00-18:00", [NINE_TO_NINE] * 5 + [TEN_TO_SIX] * 2),
        ("Every day 10:00-22:00", [TEN_TO_TEN] * 7),
        ("每日 10:00-22:00", [TEN_TO_TEN] * 7),
        ("Daily 10:00-22:00; Sun closed", [TEN_TO_TEN] * 6 + [CLOSED]),
        ("Sun closed; Daily 10:00-22:00", [TEN_TO_TEN] * 6 + [CLOSED]),
        ("Sat-Mon 10:00-18:00", [TEN_TO_SIX] + [CLOSED] * 4 + [TEN_TO_SIX] * 2),
        ("Mon 09:00-12:00; Mon 14:00-18:00", [SPLIT] + [CLOSED] * 6),
        ("Mon 09:00-12:00, 12:00-18:00", [[[540, 1080]]] + [CLOSED] * 6),
        ("Daily 24h", [ALL_DAY] * 7),
        ("每天 24小时营业", [ALL_DAY] * 7),
        ("Sat 18:00-24:00", [CLOSED] * 5 + [[[1080, 1440]]] + [CLOSED]),
        ("Sat 18:00-00:00", [CLOSED] * 5 + [[[1080, 1440]]] + [CLOSED]),
        ("Sun 22:00-03:00", [CLOSED] * 6 + [[[1320, 1620]]]),
        ("- Mon-Fri 09:00-21:00\n- Sat 10:00-18:00", WORK_WEEK),
    ],
)
def test_parse_accepts(text: str, expected: list[list[list[int]]]) -> None:
    assert week(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   \n ; ；", "empty"),
        ("Funday 09:00-18:00", "unknown_day"),
        ("Mon-Fir 09:00-18:00", "unknown_day"),
        ("Mon- 09:00-18:00", "unknown_day"),
        ("周八 09:00-18:00", "unknown_day"),
        ("三 09:00-18:00", "unknown_day"),
        ("Mon 9-17", "bad_time"),
        ("Mon 9am-5pm", "bad_time"),
        ("Mon 25:00-26:00", "bad_time"),
        ("Mon 09:60-10:00", "bad_time"),
        ("Mon 24:30-02:00", "bad_time"),
        ("Mon 24:00-02:00", "bad_time"),
        ("Mon 09:00", "bad_time"),
        ("Mon 09:00-", "bad_time"),
        ("Mon 9:0-10:00", "bad_time"),
        ("Mon-Fri", "bad_time"),
        ("Sun closed 10:00-12:00", "bad_time"),
        ("Mon 09:00-09:00", "empty_range"),
        ("Mon 00:00-00:00", "empty_range"),
        ("Mon 09:00-12:00, 11:00-13:00", "overlap"),
        ("Mon-Fri 09:00-18:00; Fri 17:00-20:00", "overlap"),
        ("Fri 18:00-02:00; Sat 01:00-03:00", "overlap"),
        ("Sun 22:00-03:00; Mon 02:00-10:00", "overlap"),
    ],
)
def test_parse_rejects_with_reason(text: str, reason: str) -> None:
    with pytest.raises(HoursSyntaxError) as info:
        parse_hours(text)
    assert info.value.reason == reason
    assert isinstance(info.value, ValueError)


def test_error_quotes_offending_fragment() -> None:
    with pytest.raises(HoursSyntaxError) as info:
        parse_hours("Mon-Fri 09:00-18:00; Funday 10:00-12:00")
    assert info.value.fragment == "Funday"


def test_is_open_simple_day() -> None:
    hours = parse_hours("Mon-Fri 09:00-21:00; Sat 10:00-18:00")
    assert not hours.is_open(at(0, "08:59"))
    assert hours.is_open(at(0, "09:00"))
    assert hours.is_open(at(4, "20:59"))
    assert not hours.is_open(at(4, "21:00"))
    assert hours.is_open(at(5, "12:00"))
    assert not hours.is_open(at(6, "12:00"))


def test_is_open_across_midnight() -> None:
    hours = parse_hours("Fri-Sat 18:00-02:00")
    assert not hours.is_open(at(4, "17:59"))  # Fri
    assert hours.is_open(at(4, "18:00"))
    assert hours.is_open(at(4, "23:59"))
    assert not hours.is_open(at(4, "01:00"))  # Thursday night was closed
    assert hours.is_open(at(5, "01:59"))  # Sat, from Friday night
    assert not hours.is_open(at(5, "02:00"))
    assert hours.is_open(at(6, "01:00"))  # Sun, from Saturday night
    assert not hours.is_open(at(6, "02:00"))
    assert not hours.is_open(at(6, "18:30"))


def test_is_open_wraps_from_sunday_to_monday() -> None:
    hours = parse_hours("Sun 22:00-03:00")
    assert hours.is_open(at(6, "22:00"))
    assert hours.is_open(at(7, "02:59"))  # next Monday
    assert not hours.is_open(at(7, "03:00"))


def test_is_open_all_day_and_midnight_end() -> None:
    assert parse_hours("24/7").is_open(at(2, "00:00"))
    assert parse_hours("24/7").is_open(at(2, "23:59"))
    late = parse_hours("Sat 18:00-24:00")
    assert late.is_open(at(5, "23:59"))
    assert not late.is_open(at(6, "00:00"))


def test_is_open_needs_aware_datetime() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_hours("24/7").is_open(datetime(2024, 6, 3, 12, 0))


@pytest.mark.parametrize(
    ("text", "english", "chinese"),
    [
        (
            "Mon-Fri 09:00-21:00; Sat 10:00-18:00",
            ["Mon–Fri 09:00–21:00", "Sat 10:00–18:00", "Sun closed"],
            ["周一至周五 09:00–21:00", "周六 10:00–18:00", "周日 休息"],
        ),
        (
            "Mon,Wed 9:00-12:00, 14:00-18:00",
            [
                "Mon 09:00–12:00, 14:00–18:00",
                "Tue closed",
                "Wed 09:00–12:00, 14:00–18:00",
                "Thu–Sun closed",
            ],
            [
                "周一 09:00–12:00，14:00–18:00",
                "周二 休息",
                "周三 09:00–12:00，14:00–18:00",
                "周四至周日 休息",
            ],
        ),
        ("每天 10:00-22:00", ["Daily 10:00–22:00"], ["每天 10:00–22:00"]),
        ("24/7", ["Daily 00:00–24:00"], ["每天 00:00–24:00"]),
        (
            "Fri-Sat 18:00-02:00",
            ["Mon–Thu closed", "Fri–Sat 18:00–02:00", "Sun closed"],
            ["周一至周四 休息", "周五至周六 18:00–02:00", "周日 休息"],
        ),
        ("Sun closed", ["Daily closed"], ["每天 休息"]),
    ],
)
def test_format_both_languages(text: str, english: list[str], chinese: list[str]) -> None:
    hours = parse_hours(text)
    assert format_hours(hours, "en") == english
    assert format_hours(hours, "zh_Hans") == chinese


def test_traditional_chinese_hours_are_understood_and_shown() -> None:
    hours = parse_hours("週一至週五 09:00-21:00；週六 10:00-18:00；禮拜日 關門")
    assert hours == parse_hours("Mon-Fri 09:00-21:00; Sat 10:00-18:00")
    assert format_hours(hours, "zh_Hant") == [
        "週一至週五 09:00–21:00",
        "週六 10:00–18:00",
        "週日 休息",
    ]
    assert parse_hours("每天 24小時") == parse_hours("24/7")
    assert parse_hours("週末 不營業；工作日 10:00-18:00") == parse_hours("Mon-Fri 10:00-18:00")


@pytest.mark.parametrize(
    "text",
    [
        "Mon-Fri 09:00-21:00; Sat 10:00-18:00",
        "Mon,Wed 9:00-12:00, 14:00-18:00",
        "Fri-Sat 18:00-02:00; Sun 22:00-03:00",
        "24/7",
        "Sun closed",
    ],
)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_formatted_lines_parse_back(text: str, lang: str) -> None:
    hours = parse_hours(text)
    assert parse_hours("\n".join(format_hours(hours, lang))) == hours


def test_json_round_trip_through_text() -> None:
    hours = parse_hours("Mon,Wed 9:00-12:00, 14:00-18:00; Fri-Sat 18:00-02:00")
    stored = json.loads(json.dumps(hours.to_json()))
    assert WeeklyHours.from_json(stored) == hours
    assert stored == {
        "v": 1,
        "w": [SPLIT, CLOSED, SPLIT, CLOSED, OVERNIGHT, OVERNIGHT, CLOSED],
    }


def test_empty_column_means_closed() -> None:
    hours = WeeklyHours.from_json({})
    assert hours == WeeklyHours.closed()
    assert hours.is_always_closed
    assert not hours.is_open(at(0, "12:00"))
    assert not parse_hours("24/7").is_always_closed


@pytest.mark.parametrize(
    "data",
    [
        {"v": 2, "w": []},
        {"v": 1, "w": [[]] * 6},
        {"v": 1, "w": [[[600, 500]]] + [[]] * 6},
        {"v": 1, "w": [[[0, 3000]]] + [[]] * 6},
        {"v": 1, "w": [[[600, 900], [800, 1000]]] + [[]] * 6},
        {"v": 1, "w": [[[1080, 1560]], [[60, 120]]] + [[]] * 5},
        {"v": 1, "w": [[["x", 1]]] + [[]] * 6},
        {"v": 1, "w": "24/7"},
    ],
)
def test_from_json_rejects_corrupt_data(data: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        WeeklyHours.from_json(data)
