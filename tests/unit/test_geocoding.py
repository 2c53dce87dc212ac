"""The real geopy Nominatim client against the local fake, plus the typed-coordinates check."""

from __future__ import annotations

from collections.abc import AsyncIterator

import geopy.exc
import pytest
import pytest_asyncio

from bot.services.geocoding import (
    CoordinatesOutOfRange,
    Geocoder,
    GeocoderUnavailable,
    GeoResult,
    chinese_address,
    local_address,
    parse_coordinates,
)
from tests.fakes.nominatim import FakeNominatim, closed_port_domain

USER_AGENT = "shopbot-tests/1.0"
NOODLES = "Lao Wang Noodles, 88 Nanjing Road, Huangpu, Shanghai, China"
LAUNDRY = "Bubble Laundry, 5 Sanlitun Road, Chaoyang, Beijing, China"


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeNominatim]:
    async with FakeNominatim() as server:
        server.add_place(NOODLES, 31.2350, 121.4740)
        server.add_place(LAUNDRY, 39.9360, 116.4550)
        yield server


def make_geocoder(domain: str, **overrides: object) -> Geocoder:
    settings: dict[str, object] = {
        "provider": "nominatim",
        "domain": domain,
        "scheme": "http",
        "user_agent": USER_AGENT,
        "timeout": 2.0,
    }
    settings.update(overrides)
    return Geocoder(**settings)  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_geocode_finds_place_and_sends_user_agent_and_language(fake: FakeNominatim) -> None:
    async with make_geocoder(fake.domain) as geocoder:
        result = await geocoder.geocode("nanjing ROAD", language="zh-CN")

    assert result is not None
    assert (result.lat, result.lng, result.address) == (31.235, 121.474, NOODLES)
    assert result.parts == {"amenity": "Lao Wang Noodles", "country": "China"}
    [request] = fake.requests
    assert request.path == "/search"
    assert request.query["q"] == "nanjing ROAD"
    assert request.query["format"] == "json"
    assert request.query["limit"] == "1"
    assert request.query["accept-language"] == "zh-CN"
    assert request.query["addressdetails"] == "1"  # the parts a local address is made of
    assert request.headers["User-Agent"] == USER_AGENT


@pytest.mark.asyncio
async def test_default_language_applies_when_call_gives_none(fake: FakeNominatim) -> None:
    async with make_geocoder(fake.domain, language="en") as geocoder:
        await geocoder.geocode("Sanlitun")
        await geocoder.geocode("Sanlitun", language="zh")

    assert [r.query.get("accept-language") for r in fake.requests] == ["en", "zh"]


@pytest.mark.asyncio
async def test_no_language_sends_no_accept_language(fake: FakeNominatim) -> None:
    async with make_geocoder(fake.domain) as geocoder:
        await geocoder.geocode("Sanlitun")

    assert "accept-language" not in fake.requests[0].query


@pytest.mark.asyncio
async def test_geocode_not_found_is_none(fake: FakeNominatim) -> None:
    async with make_geocoder(fake.domain) as geocoder:
        assert await geocoder.geocode("Atlantis Avenue 1") is None
    assert len(fake.requests) == 1


@pytest.mark.asyncio
async def test_blank_address_is_none_without_asking(fake: FakeNominatim) -> None:
    async with make_geocoder(fake.domain) as geocoder:
        assert await geocoder.geocode("   ") is None
    assert fake.requests == []


@pytest.mark.asyncio
@pytest.mark.parametrize("status", [503, 500, 429])
async def test_http_errors_become_unavailable(fake: FakeNominatim, status: int) -> None:
    fake.fail = True
    fake.fail_status = status
    async with make_geocoder(fake.domain) as geocoder:
        with pytest.raises(GeocoderUnavailable) as info:
            await geocoder.geocode("Nanjing Road")
        with pytest.raises(GeocoderUnavailable):
            await geocoder.reverse(31.2, 121.4)

    assert isinstance(info.value.__cause__, geopy.exc.GeocoderServiceError)


@pytest.mark.asyncio
async def test_closed_port_is_unavailable() -> None:
    async with make_geocoder(closed_port_domain()) as geocoder:
        with pytest.raises(GeocoderUnavailable):
            await geocoder.geocode("Nanjing Road")


@pytest.mark.asyncio
async def test_stopped_fake_is_unavailable() -> None:
    async with FakeNominatim() as server:
        domain = server.domain
    async with make_geocoder(domain) as geocoder:
        with pytest.raises(GeocoderUnavailable):
            await geocoder.reverse(31.2, 121.4)


@pytest.mark.asyncio
async def test_slow_service_times_out_as_unavailable(fake: FakeNominatim) -> None:
    fake.delay = 5.0
    async with make_geocoder(fake.domain, timeout=0.2) as geocoder:
        with pytest.raises(GeocoderUnavailable):
            await geocoder.geocode("Nanjing Road")


@pytest.mark.asyncio
async def test_reverse_returns_nearest_place(fake: FakeNominatim) -> None:
    async with make_geocoder(fake.domain) as geocoder:
        near_beijing = await geocoder.reverse(39.93, 116.45, language="en")
        near_shanghai = await geocoder.reverse(31.0, 121.0)

    assert near_beijing == GeoResult(
        lat=39.936,
        lng=116.455,
        address=LAUNDRY,
        parts={"amenity": "Bubble Laundry", "country": "China"},
    )
    assert near_shanghai is not None and near_shanghai.address == NOODLES
    first = fake.requests[0]
    assert first.path == "/reverse"
    assert (float(first.query["lat"]), float(first.query["lon"])) == (39.93, 116.45)
    assert first.query["accept-language"] == "en"
    assert first.headers["User-Agent"] == USER_AGENT


@pytest.mark.asyncio
async def test_reverse_with_nothing_known_is_none() -> None:
    async with FakeNominatim() as empty, make_geocoder(empty.domain) as geocoder:
        assert await geocoder.reverse(0.0, 0.0) is None


@pytest.mark.asyncio
async def test_reverse_refuses_impossible_point_without_asking(fake: FakeNominatim) -> None:
    async with make_geocoder(fake.domain) as geocoder:
        with pytest.raises(CoordinatesOutOfRange):
            await geocoder.reverse(121.4, 31.2)
    assert fake.requests == []


@pytest.mark.asyncio
async def test_aclose_is_idempotent_and_final(fake: FakeNominatim) -> None:
    geocoder = make_geocoder(fake.domain)
    assert await geocoder.geocode("Sanlitun") is not None
    await geocoder.aclose()
    await geocoder.aclose()
    with pytest.raises(RuntimeError):
        await geocoder.geocode("Sanlitun")


@pytest.mark.asyncio
async def test_other_providers_resolve_by_name() -> None:
    geocoder = Geocoder("photon", domain="127.0.0.1:1", scheme="http", user_agent=USER_AGENT)
    await geocoder.aclose()
    with pytest.raises(geopy.exc.GeocoderNotFound):
        Geocoder("no-such-provider", user_agent=USER_AGENT)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("31.2304, 121.4737", (31.2304, 121.4737)),
        ("31.2304,121.4737", (31.2304, 121.4737)),
        ("31.2304 121.4737", (31.2304, 121.4737)),
        ("  31.2304，121.4737 ", (31.2304, 121.4737)),
        ("31.2304， 121.4737", (31.2304, 121.4737)),
        ("-33.8688, 151.2093", (-33.8688, 151.2093)),
        ("+40.7, -74", (40.7, -74.0)),
        ("(48.8566, 2.3522)", (48.8566, 2.3522)),
        ("90, 180", (90.0, 180.0)),
        ("-90 -180", (-90.0, -180.0)),
    ],
)
def test_parse_coordinates_accepts_pairs(text: str, expected: tuple[float, float]) -> None:
    assert parse_coordinates(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Nanjing Road 88",
        "31.2304",
        "31.2304, 121.4737, 5",
        "north 31, east 121",
        "1,2,3",
        "abc",
    ],
)
def test_parse_coordinates_ignores_non_coordinates(text: str) -> None:
    assert parse_coordinates(text) is None


@pytest.mark.parametrize("text", ["121.4737, 31.2304", "90.0001, 0", "0, 180.5", "-91 0", "0 -181"])
def test_parse_coordinates_rejects_out_of_range(text: str) -> None:
    with pytest.raises(CoordinatesOutOfRange):
        parse_coordinates(text)
    assert issubclass(CoordinatesOutOfRange, ValueError)


# ------------------------------------------------------------------- addresses, locally


SHANGHAI = {
    "road": "南京东路",
    "house_number": "88",
    "suburb": "黄浦区",
    "city": "上海市",
    "state": "上海市",
    "postcode": "200001",
    "country": "中国",
    "country_code": "cn",
}


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (SHANGHAI, "上海市黄浦区南京东路88号"),  # a municipality is named once
        (
            {"state": "浙江省", "city": "杭州市", "county": "西湖区", "road": "文三路",
             "house_number": "12号", "suburb": "西溪街道"},
            "浙江省杭州市西湖区文三路12号",  # one name per level: the district, not the 街道
        ),
        ({"state": "云南省", "city": "大理市", "town": "喜洲镇"}, "云南省大理市喜洲镇"),
        ({**SHANGHAI, "house_number": ""}, "上海市黄浦区南京东路"),
        ({"city": "上海市", "state": "上海市", "country": "中国"}, ""),  # no street: none
        ({"amenity": "老王面馆", "country": "中国"}, ""),
    ],
)
def test_chinese_address_runs_from_province_to_number(
    parts: dict[str, str], expected: str
) -> None:
    assert chinese_address(parts) == expected


def test_local_address_in_chinese_else_as_the_geocoder_wrote_it() -> None:
    western = "88, 南京东路, 黄浦区, 上海市, 200001, 中国"
    found = GeoResult(31.2, 121.4, western, SHANGHAI)
    assert local_address(found, "zh_Hans") == "上海市黄浦区南京东路88号"
    assert local_address(found, "zh_Hant") == "上海市黄浦区南京东路88号"
    assert local_address(found, "en") == western
    bare = GeoResult(31.2, 121.4, "老王面馆, 中国", {"amenity": "老王面馆"})
    assert local_address(bare, "zh_Hans") == "老王面馆, 中国"  # too little to rebuild it
