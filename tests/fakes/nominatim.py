"""A local stand-in for the Nominatim HTTP API, so the real geopy client is tested offline.

Only what geopy's `Nominatim` sends and parses is modelled: `/search` and `/reverse` with
`format=json`, answers shaped like nominatim.openstreetmap.org's (lat/lon as strings).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import socket
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiohttp import web

__all__ = ["FakeNominatim", "FakePlace", "RecordedRequest", "closed_port_domain"]

_LICENCE = "Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright"


@dataclass(frozen=True)
class FakePlace:
    place_id: int
    display_name: str
    lat: float
    lng: float
    address: dict[str, str] = field(default_factory=dict)

    def to_json(self, *, addressdetails: bool) -> dict[str, Any]:
        """The place as Nominatim's `format=json` serialises it."""
        data: dict[str, Any] = {
            "place_id": self.place_id,
            "licence": _LICENCE,
            "osm_type": "node",
            "osm_id": 1_000_000 + self.place_id,
            "lat": f"{self.lat:.7f}",
            "lon": f"{self.lng:.7f}",
            "class": "amenity",
            "type": "shop",
            "place_rank": 30,
            "importance": 0.5,
            "addresstype": "amenity",
            "name": self.display_name.split(",")[0].strip(),
            "display_name": self.display_name,
            "boundingbox": [
                f"{self.lat - 0.0005:.7f}",
                f"{self.lat + 0.0005:.7f}",
                f"{self.lng - 0.0005:.7f}",
                f"{self.lng + 0.0005:.7f}",
            ],
        }
        if addressdetails:
            data["address"] = dict(self.address)
        return data


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


class FakeNominatim:
    """`async with FakeNominatim() as fake:` serves on 127.0.0.1:<random port>.

    Point a geocoder at it with `domain=fake.domain, scheme="http"`. Set `fail = True` for
    HTTP `fail_status` (503) answers, `delay` (seconds) to provoke client timeouts; after the
    block exits `fake.domain` is a closed port, i.e. an unreachable service.
    """

    def __init__(self) -> None:
        self.places: list[FakePlace] = []
        self.requests: list[RecordedRequest] = []
        self.fail = False
        self.fail_status = 503
        self.delay = 0.0
        self._runner: web.AppRunner | None = None
        self._stopping = asyncio.Event()
        self._port = 0

    @property
    def domain(self) -> str:
        if not self._port:
            raise RuntimeError("FakeNominatim is not started")
        return f"127.0.0.1:{self._port}"

    def add_place(
        self,
        display_name: str,
        lat: float,
        lng: float,
        address: dict[str, str] | None = None,
    ) -> FakePlace:
        """Register a place; `address` defaults to name + country taken from display_name."""
        if address is None:
            parts = [p.strip() for p in display_name.split(",") if p.strip()]
            address = {"amenity": parts[0]} if parts else {}
            if len(parts) > 1:
                address["country"] = parts[-1]
        place = FakePlace(len(self.places) + 1, display_name, lat, lng, address)
        self.places.append(place)
        return place

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/search", self._search)
        app.router.add_get("/reverse", self._reverse)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()

    async def aclose(self) -> None:
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeNominatim:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # --- handlers -----------------------------------------------------------------------

    async def _prologue(self, request: web.Request) -> web.Response | None:
        self.requests.append(
            RecordedRequest(request.path, dict(request.query), dict(request.headers))
        )
        if self.delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.delay)
        if self.fail:
            return web.Response(status=self.fail_status, text="Service Unavailable")
        if request.query.get("format", "xml") not in ("json", "jsonv2"):
            return _error(400, "Parameter 'format' must be json in this fake.")
        return None

    async def _search(self, request: web.Request) -> web.Response:
        if (early := await self._prologue(request)) is not None:
            return early
        q = request.query.get("q", "").strip().casefold()
        if not q:
            return _error(400, "Nothing to search for.")
        try:
            limit = max(1, min(40, int(request.query.get("limit", "10"))))
        except ValueError:
            return _error(400, "Integer number expected for parameter 'limit'")
        details = request.query.get("addressdetails") in ("1", "true")
        hits = [p for p in self.places if q in p.display_name.casefold()][:limit]
        return web.json_response([p.to_json(addressdetails=details) for p in hits])

    async def _reverse(self, request: web.Request) -> web.Response:
        if (early := await self._prologue(request)) is not None:
            return early
        try:
            lat = float(request.query["lat"])
            lng = float(request.query["lon"])
        except (KeyError, ValueError):
            return _error(400, "Need coordinates or OSM object to lookup.")
        if not self.places:
            return web.json_response({"error": "Unable to geocode"})
        nearest = min(self.places, key=lambda p: _distance_km(lat, lng, p.lat, p.lng))
        details = request.query.get("addressdetails", "1") in ("1", "true")
        return web.json_response(nearest.to_json(addressdetails=details))


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": {"code": status, "message": message}}, status=status)


def _distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine), enough to pick the nearest fake place."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def closed_port_domain() -> str:
    """`127.0.0.1:<port>` with nothing listening, for "service unreachable" tests."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{sock.getsockname()[1]}"
