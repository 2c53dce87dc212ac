"""People: registration on first contact, roles, language, profile, saved places."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tortoise.exceptions import IntegrityError

from bot.i18n import language_for, usable
from bot.models import Place, User
from bot.services.numbers import ascii_digits, parse_whole
from bot.services.visible import is_blank

PLACE_LABELS = ("home", "work")


class InvalidProfileValue(ValueError):
    """A profile value the user typed that cannot be stored."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def ensure_user(
    telegram_id: int, first_name: str, username: str | None, language_code: str | None
) -> User:
    """The user's row, created on first contact with the language Telegram reports."""
    user = await User.get_or_none(id=telegram_id)
    if user is None:
        try:
            user = await User.create(
                id=telegram_id,
                first_name=first_name[:128],
                username=username,
                language=language_for(language_code),
            )
        except IntegrityError:  # created concurrently by another update
            user = await User.get(id=telegram_id)
    elif user.first_name != first_name[:128] or user.username != username or not user.reachable:
        # Writing to us again means they unblocked the bot: broadcasts may reach them again.
        user.first_name, user.username, user.reachable = first_name[:128], username, True
        await user.save(update_fields=["first_name", "username", "reachable"])
    if user.language != (offered := usable(user.language)):  # the deployer dropped it
        user.language = offered
        await user.save(update_fields=["language"])
    return user


async def set_roles(user: User, *, consumer: bool, merchant: bool) -> None:
    user.is_consumer, user.is_merchant, user.role_chosen = consumer, merchant, True
    await user.save(update_fields=["is_consumer", "is_merchant", "role_chosen"])


async def set_language(user: User, language: str) -> None:
    user.language = language
    await user.save(update_fields=["language"])


async def chosen_language(user_id: int) -> str | None:
    """The language the user chose (or was given on first contact); None for someone unknown."""
    user = await User.get_or_none(id=user_id)
    return user.language if user is not None else None


def missing_profile_fields(user: User) -> list[str]:
    """Important profile fields still empty, in the order the bot asks for them."""
    missing = []
    if not user.name:
        missing.append("name")
    if not user.phone:
        missing.append("phone")
    if not user.birthday:
        missing.append("birthday")
    return missing


async def update_profile(
    user: User,
    *,
    name: str | None = None,
    phone: str | None = None,
    birthday: date | None = None,
) -> None:
    fields = []
    if name is not None:
        name = name.strip()
        if is_blank(name) or len(name) > 64:
            raise InvalidProfileValue("name_length")
        user.name = name
        fields.append("name")
    if phone is not None:
        user.phone = phone
        fields.append("phone")
    if birthday is not None:
        user.birthday = birthday
        user.birth_md = birth_md_of(birthday)
        fields += ["birthday", "birth_md"]
    if fields:
        await user.save(update_fields=fields)


def birth_md_of(birthday: date) -> int:
    """The indexed month-day of a birthday (21 May → 521), what the daily greeting selection
    looks up. Every write of `User.birthday` writes this with it."""
    return birthday.month * 100 + birthday.day


async def mark_profile_reminded(user: User) -> None:
    user.profile_reminded = True
    await user.save(update_fields=["profile_reminded"])


@dataclass(frozen=True)
class SavedPlace:
    label: str
    lat: float
    lng: float


async def save_place(user_id: int, label: str, lat: float, lng: float) -> None:
    if label not in PLACE_LABELS:
        raise InvalidProfileValue("place_label")
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise InvalidProfileValue("coordinates")
    await Place.update_or_create(defaults={"lat": lat, "lng": lng}, user_id=user_id, label=label)


async def places_of(user_id: int) -> list[SavedPlace]:
    rows = await Place.filter(user_id=user_id).order_by("label")
    return [SavedPlace(p.label, p.lat, p.lng) for p in rows]


async def delete_place(user_id: int, label: str) -> bool:
    return await Place.filter(user_id=user_id, label=label).delete() > 0


#: Quiet-hour windows offered in /settings, (start, end) in minutes after local midnight;
#: start == end means no quiet hours.
QUIET_CHOICES = ((21 * 60, 8 * 60), (22 * 60, 8 * 60), (23 * 60, 7 * 60), (0, 7 * 60), (0, 0))


async def set_quiet_hours(user: User, start: int, end: int) -> None:
    """When promotional pushes wait (user's local time); only the offered windows are valid."""
    if (start, end) not in QUIET_CHOICES:
        raise InvalidProfileValue("quiet_hours")
    user.quiet_start, user.quiet_end = start, end
    await user.save(update_fields=["quiet_start", "quiet_end"])


async def set_default_radius(user: User, radius_m: int) -> None:
    user.default_radius_m = radius_m
    await user.save(update_fields=["default_radius_m"])


def parse_birthday(text: str, today: date) -> date:
    """A typed birthday: 1990-05-21, 1990/5/21, 1990.5.21 or 1990年5月21日 (full-width digits
    too; other digit systems are refused, see bot.services.numbers)."""
    cleaned = ascii_digits(text).strip()
    for sep in ("年", "月", "/", "."):
        cleaned = cleaned.replace(sep, "-")
    cleaned = cleaned.removesuffix("日").strip("-")
    parts = cleaned.split("-")
    numbers = [parse_whole(p, grouping=False) for p in parts]
    if len(numbers) != 3 or None in numbers:
        raise InvalidProfileValue("birthday_format")
    try:
        born = date(*numbers)  # type: ignore[arg-type]
    except ValueError:
        raise InvalidProfileValue("birthday_format") from None
    if born > today or born.year < today.year - 120:
        raise InvalidProfileValue("birthday_range")
    return born
