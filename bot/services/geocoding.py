"""Addresses ↔ coordinates through geopy's async clients, plus the check for typed coordinates.

The bot only ever sees `GeoResult`, `GeocoderUnavailable` and `CoordinatesOutOfRange`, so
handlers neither depend on geopy's class zoo nor on which provider a deployer configured.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import aiohttp
import geopy.exc
from geopy.adapters import AioHTTPAdapter
from geopy.geocoders import get_geocoder_for_service

from bot.services.numbers import ascii_digits

__all__ = [
    "CoordinatesOutOfRange",
    "GeoResult",
    "Geocoder",
    "GeocoderUnavailable",
    "chinese_address",
    "local_address",
    "parse_coordinates",
]


class GeocoderUnavailable(Exception):
    """The geocoding service could not answer (down, slow, refused); the user should retry
    later or send a location pin instead."""


class CoordinatesOutOfRange(ValueError):
    """Looks like a coordinate pair but cannot be one; told apart from "not coordinates at all"
    so the user gets a precise hint instead of an address lookup."""


@dataclass(frozen=True)
class GeoResult:
    """One place: what the bot stores for a shop or a search centre. `address` is the
    geocoder's own one-line text (a comma list, smallest place first); `parts` its structured
    address (Nominatim's `addressdetails`: road, house_number, city...), when it sends one."""

    lat: float
    lng: float
    address: str
    parts: Mapping[str, str] = field(default_factory=dict)


#: Chinese addresses go from the largest place down, one name per level, no separators:
#: 上海市 · 黄浦区 · 南京东路 · 88号 → 上海市黄浦区南京东路88号. Nominatim's keys per level,
#: the most specific first (in China it often files the district under `suburb`).
_CHINESE_LEVELS = (
    ("state", "province"),
    ("city", "municipality"),
    ("county", "city_district", "district", "borough", "suburb"),
    ("town", "village"),
    ("road", "pedestrian", "street"),
)
#: Levels below the city: without one of them there is no street address to offer.
_CHINESE_LOCAL = 2


def local_address(result: GeoResult, language: str) -> str:
    """The address as people write it in `language` (a catalogue name such as zh_Hans):
    Chinese from the structured parts, largest place first (上海市黄浦区南京东路88号); other
    languages, or too few parts, as the geocoder wrote it."""
    if language.startswith("zh"):
        return chinese_address(result.parts) or result.address
    return result.address


def chinese_address(parts: Mapping[str, str]) -> str:
    """Province, city, district, town, road and number run together, repeats dropped (Shanghai
    is both province and city); '' when nothing below the city is known."""
    names: list[str] = []
    local = False
    for level, keys in enumerate(_CHINESE_LEVELS):
        name = next((parts[k].strip() for k in keys if str(parts.get(k, "")).strip()), "")
        if name and name not in names:
            names.append(name)
            local = local or level >= _CHINESE_LOCAL
    if not local:
        return ""
    number = str(parts.get("house_number", "")).strip()
    if number:
        names.append(number + "号" if number[-1].isdigit() else number)
    return "".join(names)


# Errors that mean "the service did not answer usefully": geopy normalises most transport
# failures into its GeocoderServiceError family, the others are a safety net for the ones
# raised outside geopy's adapter (e.g. while the session connects or is torn down).
_SERVICE_ERRORS: tuple[type[BaseException], ...] = (
    geopy.exc.GeocoderServiceError,
    aiohttp.ClientError,
    asyncio.TimeoutError,
)


class Geocoder:
    """A configured async geocoder; one instance (one HTTP session) per bot process.

    Built from plain settings so `Geocoder(**asdict(config.geocoder))` works. `provider` is any
    name `geopy.geocoders.get_geocoder_for_service` knows; `domain=None` keeps the provider's
    own default host. Extra `provider_options` (an `api_key`, ...) go to the geopy class as is.
    """

    def __init__(
        self,
        provider: str = "nominatim",
        *,
        domain: str | None = None,
        scheme: str = "https",
        user_agent: str,
        timeout: float = 5.0,
        language: str | None = None,
        **provider_options: Any,
    ) -> None:
        cls = get_geocoder_for_service(provider)
        options: dict[str, Any] = {
            "scheme": scheme,
            "user_agent": user_agent,
            "timeout": timeout,
            "adapter_factory": AioHTTPAdapter,
        }
        if domain is not None:
            options["domain"] = domain
        options.update(provider_options)
        accepted = inspect.signature(cls.__init__).parameters
        if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values()):
            # Not every provider takes every generic setting (e.g. a fixed domain).
            options = {k: v for k, v in options.items() if k in accepted}
        self._geocoder = cls(**options)
        self._language = language
        self._geocode_takes_language = _takes(self._geocoder.geocode, "language")
        self._geocode_takes_details = _takes(self._geocoder.geocode, "addressdetails")
        self._reverse_takes_language = _takes(self._geocoder.reverse, "language")
        self._closed = False

    async def __aenter__(self) -> Geocoder:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP session; safe to call twice."""
        if not self._closed:
            self._closed = True
            await self._geocoder.__aexit__(None, None, None)

    async def geocode(self, address: str, language: str | None = None) -> GeoResult | None:
        """The best match for a free-text address, or None when the service knows no such place.

        Raises GeocoderUnavailable when the service cannot be asked.
        """
        query = address.strip()
        if not query:
            return None
        kwargs: dict[str, Any] = {"exactly_one": True}
        lang = language or self._language
        if lang and self._geocode_takes_language:
            kwargs["language"] = lang
        if self._geocode_takes_details:  # the parts a local address is made of
            kwargs["addressdetails"] = True
        return await self._call(self._geocoder.geocode, query, **kwargs)

    async def reverse(
        self, lat: float, lng: float, language: str | None = None
    ) -> GeoResult | None:
        """The address at a point (e.g. a shared location pin), or None when there is none.

        Raises CoordinatesOutOfRange for impossible points and GeocoderUnavailable when the
        service cannot be asked.
        """
        _check_range(lat, lng)
        kwargs: dict[str, Any] = {"exactly_one": True}
        lang = language or self._language
        if lang and self._reverse_takes_language:
            kwargs["language"] = lang
        return await self._call(self._geocoder.reverse, (lat, lng), **kwargs)

    async def _call(self, method: Any, query: Any, **kwargs: Any) -> GeoResult | None:
        if self._closed:
            raise RuntimeError("Geocoder is closed")
        try:
            location = await method(query, **kwargs)
        except _SERVICE_ERRORS as exc:
            raise GeocoderUnavailable(str(exc) or type(exc).__name__) from exc
        if location is None:
            return None
        raw = location.raw if isinstance(location.raw, dict) else {}
        details = raw.get("address")
        parts = {str(k): str(v) for k, v in details.items()} if isinstance(details, dict) else {}
        return GeoResult(
            lat=float(location.latitude),
            lng=float(location.longitude),
            address=location.address or "",
            parts=parts,
        )


def _takes(method: Any, name: str) -> bool:
    return name in inspect.signature(method).parameters


_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_COORDINATES = re.compile(
    rf"^\s*\(?\s*(?P<lat>{_NUMBER})\s*(?:[,，]\s*|\s+)(?P<lng>{_NUMBER})\s*\)?\s*$",
    re.ASCII,
)


def parse_coordinates(text: str) -> tuple[float, float] | None:
    """`(lat, lng)` from text a user typed ("31.23, 121.47", "31.23 121.47", "31.23，121.47",
    full-width digits too).

    None when the text is not a pair of numbers, so the caller can try it as an address;
    CoordinatesOutOfRange when it is a pair but not a place on Earth (often swapped lat/lng).
    """
    match = _COORDINATES.match(ascii_digits(text))
    if match is None:
        return None
    lat, lng = float(match["lat"]), float(match["lng"])
    _check_range(lat, lng)
    return lat, lng


def _check_range(lat: float, lng: float) -> None:
    if not (math.isfinite(lat) and math.isfinite(lng)):
        raise CoordinatesOutOfRange(f"not a finite coordinate: {lat}, {lng}")
    if not -90.0 <= lat <= 90.0:
        raise CoordinatesOutOfRange(f"latitude {lat} is outside [-90, 90]")
    if not -180.0 <= lng <= 180.0:
        raise CoordinatesOutOfRange(f"longitude {lng} is outside [-180, 180]")
