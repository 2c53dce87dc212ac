"""Button data: one typed codec per feature, so no callback string is ever typed by hand.

A feature declares a root class with its prefix, and one small class per kind of button with
typed fields (like aiogram's `CallbackData`):

    class CouponButton(CallbackData, prefix="cpn"): ...

    class PauseCoupon(CouponButton, action="pause"):
        shop_id: Id
        coupon_id: Id

    PauseCoupon(shop_id=3, coupon_id=7).pack()      -> "cpn:pause:3:7"
    PauseCoupon.unpack("cpn:pause:3:7")             -> PauseCoupon(shop_id=3, coupon_id=7)
    PauseCoupon.unpack("cpn:pause:3:99999999999")   -> None (forged: not a 32-bit id)
    CouponButton.unpack("cpn:pause:3:7")            -> the PauseCoupon (any kind of the feature)
    CallbackQueryHandler(pause, pattern=PauseCoupon.pattern())

A feature with one kind of button puts its fields on the root (`poster:<id>`); a feature's
main button may instead be its `default=True` kind, written without an action (`shop:<id>`
beside `shop:svp:<id>:<page>`; its first field must be a number, so it never reads as an
action). Field types:
`Id` (a database id: 1 … 2**31-1, so a forged huge id never reaches a 32-bit column), `int`
(0 … 2**31-1), `bool`, `str` (letters, digits, `_`, `-`, `.`), `Literal[...]` and str enums
(by value), and any of them `| None` (packed as an empty field). `unpack` returns None for
anything malformed — the handler never sees it, and the catch-all answers "this button has
expired". Prefixes are unique across the app and actions unique within a feature: a clash
raises at import.
"""

from __future__ import annotations

import enum
import re
import types
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import (
    Annotated,
    Any,
    ClassVar,
    Literal,
    Self,
    Union,
    dataclass_transform,
    get_args,
    get_origin,
    get_type_hints,
)

from telegram import Update

#: Telegram refuses callback data longer than this (in bytes).
MAX_BYTES = 64
#: Ids and numbers in button data fit PostgreSQL's 32-bit `integer` columns.
INT_LIMIT = 2**31
SEPARATOR = ":"


class _IdMarker:
    """Marks `Id`: a positive 32-bit database id."""


Id = Annotated[int, _IdMarker]

_NAME = re.compile(r"[a-z][a-z0-9]{0,9}")
_NUMBER = re.compile(r"0|[1-9][0-9]{0,9}")
_TOKEN = re.compile(r"[A-Za-z0-9_.-]{1,32}")
_INVALID = object()


class CallbackDataError(TypeError):
    """A codec declared wrongly (clashing prefix or action, unsupported field type)."""


@dataclass(frozen=True)
class _Codec:
    """How one field is written to and read from button data."""

    encode: Callable[[Any], str | None]
    decode: Callable[[str], Any]
    #: digits only: never mistaken for an action's name
    number: bool = False


def _number_codec(low: int) -> _Codec:
    def encode(value: Any) -> str | None:
        ok = type(value) is int and low <= value < INT_LIMIT
        return str(value) if ok else None

    def decode(raw: str) -> Any:
        if not _NUMBER.fullmatch(raw):
            return _INVALID
        value = int(raw)
        return value if low <= value < INT_LIMIT else _INVALID

    return _Codec(encode, decode, number=True)


def _bool_encode(value: Any) -> str | None:
    return ("1" if value else "0") if isinstance(value, bool) else None


_BOOL = _Codec(_bool_encode, lambda raw: {"1": True, "0": False}.get(raw, _INVALID))
_STR = _Codec(
    lambda value: value if isinstance(value, str) and _TOKEN.fullmatch(value) else None,
    lambda raw: raw if _TOKEN.fullmatch(raw) else _INVALID,
)


def _choice_codec(choices: tuple[str, ...]) -> _Codec:
    return _Codec(
        lambda value: value if value in choices else None,
        lambda raw: raw if raw in choices else _INVALID,
    )


def _optional(inner: _Codec) -> _Codec:
    return _Codec(
        lambda value: "" if value is None else inner.encode(value),
        lambda raw: None if raw == "" else inner.decode(raw),
    )


def _codec_for(hint: Any, where: str) -> _Codec:
    origin = get_origin(hint)
    if origin is Annotated:
        base, *marks = get_args(hint)
        if base is int and _IdMarker in marks:
            return _number_codec(1)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(hint) if a is not type(None)]
        if len(args) == 1 and len(get_args(hint)) == 2:
            return _optional(_codec_for(args[0], where))
    if origin is Literal:
        choices = get_args(hint)
        if all(isinstance(c, str) and _TOKEN.fullmatch(c) for c in choices):
            return _choice_codec(tuple(choices))
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        by_value = {member.value: member for member in hint}
        if all(isinstance(v, str) and _TOKEN.fullmatch(v) for v in by_value):
            return _Codec(
                lambda value: value.value if isinstance(value, hint) else None,
                lambda raw: by_value.get(raw, _INVALID),
            )
    if hint is bool:
        return _BOOL
    if hint is int:
        return _number_codec(0)
    if hint is str:
        return _STR
    raise CallbackDataError(f"{where}: unsupported button data field type {hint!r}")


#: prefix -> the feature's root class (all registered codecs, for tests and the catch-all)
REGISTRY: dict[str, type[CallbackData]] = {}


@dataclass_transform(frozen_default=True)
class CallbackData:
    """Base of every button-data codec; see the module docstring."""

    __prefix__: ClassVar[str]
    __action__: ClassVar[str | None] = None
    #: on a feature's root: action (None for a one-kind feature) -> class
    __kinds__: ClassVar[dict[str | None, type[CallbackData]]]
    __codecs__: ClassVar[tuple[tuple[str, _Codec], ...]] = ()

    def __init_subclass__(
        cls,
        *,
        prefix: str | None = None,
        action: str | None = None,
        default: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        dataclass(frozen=True)(cls)
        hints = get_type_hints(cls, include_extras=True)
        where = f"{cls.__module__}.{cls.__qualname__}"
        cls.__codecs__ = tuple((f.name, _codec_for(hints[f.name], where)) for f in fields(cls))
        if prefix is not None:
            _register_feature(cls, prefix, where)
        elif action is not None or default:
            _register_kind(cls, action, where)
        else:
            raise CallbackDataError(f"{where}: give a prefix (a feature) or an action (a kind)")

    def pack(self) -> str:
        """The button's callback data; ValueError for a value the codec cannot carry."""
        parts = [self.__prefix__]
        if self.__action__ is not None:
            parts.append(self.__action__)
        for name, codec in self.__codecs__:
            encoded = codec.encode(getattr(self, name))
            if encoded is None:
                raise ValueError(f"{type(self).__name__}.{name}={getattr(self, name)!r}")
            parts.append(encoded)
        data = SEPARATOR.join(parts)
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"button data longer than {MAX_BYTES} bytes: {data!r}")
        return data

    @classmethod
    def unpack(cls, data: object) -> Self | None:
        """The button behind `data` if it is one of `cls`'s kinds, else None (malformed,
        forged, another feature's, or an old format no longer understood)."""
        if not isinstance(data, str) or len(data.encode()) > MAX_BYTES:
            return None
        head, *rest = data.split(SEPARATOR)
        root = REGISTRY.get(head)
        if root is None:
            return None
        if rest and rest[0] in root.__kinds__:
            kind: type[CallbackData] | None = root.__kinds__[rest.pop(0)]
        else:
            kind = root.__kinds__.get(None)  # the root's own fields, or its default kind
        if kind is None or not issubclass(kind, cls) or len(rest) != len(kind.__codecs__):
            return None
        values = {}
        for (name, codec), raw in zip(kind.__codecs__, rest, strict=True):
            value = codec.decode(raw)
            if value is _INVALID:
                return None
            values[name] = value
        return kind(**values)  # type: ignore[return-value]

    @classmethod
    def pattern(cls) -> Callable[[object], bool]:
        """For CallbackQueryHandler: matches exactly the data `unpack` accepts."""
        return cls._matches

    @classmethod
    def _matches(cls, data: object) -> bool:
        return cls.unpack(data) is not None

    @classmethod
    def pressed(cls, update: Update) -> Self:
        """The pressed button, in a handler registered with `cls.pattern()` (which vouched
        for the data: anything else reaching here is a wiring mistake)."""
        query = update.callback_query
        found = cls.unpack(query.data if query is not None else None)
        if found is None:
            raise LookupError(f"{cls.__name__} handler got {query and query.data!r}")
        return found


@dataclass(frozen=True)
class AnyOf:
    """A CallbackQueryHandler pattern for several kinds of button sharing one callback."""

    kinds: tuple[type[CallbackData], ...]

    def __call__(self, data: object) -> bool:
        return any(kind.unpack(data) is not None for kind in self.kinds)


def any_of(*kinds: type[CallbackData]) -> AnyOf:
    return AnyOf(kinds)


def _register_feature(cls: type[CallbackData], prefix: str, where: str) -> None:
    if not _NAME.fullmatch(prefix):
        raise CallbackDataError(f"{where}: prefix {prefix!r} must match {_NAME.pattern}")
    taken = REGISTRY.get(prefix)
    if taken is not None and _name_of(taken) != where:
        raise CallbackDataError(f"{where}: prefix {prefix!r} is already {_name_of(taken)}'s")
    cls.__prefix__ = prefix
    cls.__action__ = None
    cls.__kinds__ = {None: cls} if cls.__codecs__ else {}
    REGISTRY[prefix] = cls


def _register_kind(cls: type[CallbackData], action: str | None, where: str) -> None:
    """A kind of button of a feature: `action` names it; None is the feature's default kind."""
    root = REGISTRY.get(getattr(cls, "__prefix__", ""))
    if root is None or root.__codecs__:
        raise CallbackDataError(f"{where}: an action needs a feature root without fields")
    if action is not None and not _NAME.fullmatch(action):
        raise CallbackDataError(f"{where}: action {action!r} must match {_NAME.pattern}")
    if action is None and not (cls.__codecs__ and cls.__codecs__[0][1].number):
        raise CallbackDataError(f"{where}: a default kind starts with a number field")
    taken = root.__kinds__.get(action)
    if taken is not None and _name_of(taken) != where:
        shown = action or "(default)"
        raise CallbackDataError(f"{where}: {root.__prefix__}:{shown} is already {_name_of(taken)}")
    cls.__action__ = action
    root.__kinds__[action] = cls


def _name_of(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"
