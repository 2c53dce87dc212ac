"""The official Bot API spec (api.min.json) and request validation against it.

:class:`BotApiSpec` knows every method and type, decodes parameters the way the Bot API does
(form values are strings; objects, arrays, numbers and booleans arrive JSON-encoded) and refuses
what Telegram refuses: unknown parameters, missing required ones, wrong types and values outside
the limits written in the field descriptions ("1-4096 characters", "1-64 bytes", "2-10 items",
"At most 100 ..."). Errors are raised as :class:`ApiError` carrying Telegram's HTTP status and
description.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.fakes.telegram_markup import (
    EntityParseError,
    UnsupportedParseModeError,
    parse_formatted,
)

__all__ = [
    "DEFAULT_SPEC_PATH",
    "ApiError",
    "BotApiSpec",
    "SpecField",
    "SpecType",
    "UploadedFile",
    "bad_request",
]

#: Where the spec lives unless ``TELEGRAM_BOT_API_SPEC`` or an explicit path says otherwise.
DEFAULT_SPEC_PATH = Path(__file__).resolve().parent / "telegram-bot-api-spec" / "api.min.json"

_PRIMITIVES = ("Integer", "Float", "Boolean", "True", "String")
_INT_RE = re.compile(r"^[+-]?\d+$")
_FLOAT_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_RANGE_RE = re.compile(r"\b(\d+)-(\d+) (characters|bytes)\b")
_ITEMS_RE = re.compile(r"\b(\d+)-(\d+) items\b")
_AT_MOST_RE = re.compile(r"\bAt most (\d+)\b")
_DISCRIMINATOR_RE = re.compile(r'(?:must be|always) "?([a-z_]+)"?')
_COMMAND_CHARSET = "Can contain only lowercase English letters, digits and underscores"
# Fields of InlineKeyboardButton that are not its "action" (exactly one action is required).
_BUTTON_NON_ACTION = frozenset({"text", "icon_custom_emoji_id", "style"})


class ApiError(Exception):
    """A Bot API failure: HTTP status plus Telegram's ``description`` text."""

    def __init__(self, status: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> ApiError:
    """HTTP 400 ``Bad Request: <detail>``."""
    return ApiError(400, f"Bad Request: {detail}")


@dataclass(frozen=True)
class UploadedFile:
    """A multipart file part of a request."""

    part_name: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class SpecField:
    """One parameter of a method or field of a type."""

    name: str
    types: tuple[str, ...]
    required: bool
    description: str


@dataclass(frozen=True)
class SpecType:
    """An object type; ``subtypes`` is set for unions such as BotCommandScope."""

    name: str
    fields: Mapping[str, SpecField]
    subtypes: tuple[str, ...]
    discriminator: str | None


def _fields(raw: list[dict[str, Any]] | None) -> dict[str, SpecField]:
    return {
        f["name"]: SpecField(f["name"], tuple(f["types"]), bool(f["required"]), f["description"])
        for f in raw or []
    }


class BotApiSpec:
    """Bot API methods and types from api.min.json, plus parameter validation."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.version: str = raw.get("version", "")
        self.methods: dict[str, dict[str, SpecField]] = {
            name: _fields(m.get("fields")) for name, m in raw["methods"].items()
        }
        self.returns: dict[str, tuple[str, ...]] = {
            name: tuple(m.get("returns", ())) for name, m in raw["methods"].items()
        }
        self._lower = {name.lower(): name for name in self.methods}
        self.types: dict[str, SpecType] = {}
        for name, t in raw["types"].items():
            fields = _fields(t.get("fields"))
            type_field = fields.get("type")
            disc = None
            if type_field is not None and t.get("subtype_of"):
                match = _DISCRIMINATOR_RE.search(type_field.description)
                disc = match.group(1) if match else None
            self.types[name] = SpecType(name, fields, tuple(t.get("subtypes") or ()), disc)

    @classmethod
    def load(cls, path: str | Path | None = None) -> BotApiSpec:
        """Load (and cache) the spec from ``path``, ``$TELEGRAM_BOT_API_SPEC`` or the default."""
        chosen = path or os.environ.get("TELEGRAM_BOT_API_SPEC") or DEFAULT_SPEC_PATH
        return _load_cached(str(Path(chosen).resolve()))

    def method_name(self, name: str) -> str | None:
        """Canonical method name for a case-insensitive ``name``, or None if unknown."""
        return self._lower.get(name.lower())

    def complete(
        self, type_name: str, value: Mapping[str, Any] | None = None, *, _depth: int = 0
    ) -> dict[str, Any]:
        """``value`` plus placeholders for the required fields of ``type_name`` it lacks.

        Placeholders: 0, 0.0, False, "", [] or a nested completed object; a ``type``/``status``
        field gets its documented constant (e.g. ``"member"``). Unions use their first member.
        """
        leaves = self._leaf_types(type_name)
        spec = self.types[leaves[0]]
        out = dict(value or {})
        for f in spec.fields.values():
            if f.required and f.name not in out:
                out[f.name] = self._placeholder(f, _depth)
        return out

    def _placeholder(self, f: SpecField, depth: int) -> Any:
        kind = f.types[0]
        if kind.startswith("Array of"):
            return []
        if kind in self.types:
            return self.complete(kind, _depth=depth + 1) if depth < 5 else {}
        if kind == "String" and f.name in ("type", "status", "source"):
            match = re.search(r'"([a-z_]+)"', f.description) or _DISCRIMINATOR_RE.search(
                f.description
            )
            return match.group(1) if match else ""
        return {"Integer": 0, "Float": 0.0, "Boolean": False, "True": True}.get(kind, "")

    # ----------------------------------------------------------------------------- validation

    def validate(
        self,
        method: str,
        params: Mapping[str, Any],
        files: Mapping[str, UploadedFile] | None = None,
    ) -> dict[str, Any]:
        """Decode and check ``params`` for ``method``; return them with proper Python types.

        ``params`` values are strings (query/form) or JSON values; ``files`` are the multipart
        file parts by part name. A file part named like a parameter is that parameter; others are
        attachments referenced as ``attach://<name>``. InputFile values come back as
        :class:`UploadedFile`.

        Raises:
            ApiError: HTTP 400 with Telegram's description.
        """
        fields = self.methods[method]
        files = dict(files or {})
        merged: dict[str, Any] = dict(params)
        for part, upload in files.items():
            if part in fields:
                merged[part] = upload
        if "parse_mode" not in fields:
            # python-telegram-bot's Defaults(parse_mode=...) add it to every method built on
            # Bot._send_message (sendVenue, editMessageReplyMarkup, ...); Telegram ignores
            # unknown parameters, and so does the fake for this one.
            merged.pop("parse_mode", None)
        for name in merged:
            if name not in fields:
                raise bad_request(f"unknown parameter {name}")
        out: dict[str, Any] = {}
        for name, value in merged.items():
            if value is None:
                continue
            out[name] = self._coerce(value, fields[name], name, method, merged, files)
        for f in fields.values():
            if f.required and f.name not in out:
                raise bad_request(f"parameter {f.name} is required")
        return out

    def _coerce(
        self,
        value: Any,
        spec: SpecField,
        path: str,
        owner: str,
        siblings: Mapping[str, Any],
        files: Mapping[str, UploadedFile],
    ) -> Any:
        result = self._coerce_types(value, spec.types, path, owner, files)
        self._check_limits(result, spec, path, owner, siblings)
        return result

    def _coerce_types(
        self,
        value: Any,
        types: tuple[str, ...],
        path: str,
        owner: str,
        files: Mapping[str, UploadedFile],
    ) -> Any:
        if types and all(t.startswith("Array of ") for t in types):
            inner = tuple(t.removeprefix("Array of ") for t in types)
            items = self._decode_json(value, path)
            if not isinstance(items, list):
                raise bad_request(f'field "{path}" must be an Array')
            return [
                self._coerce_types(v, inner, f"{path}[{i}]", owner, files)
                for i, v in enumerate(items)
            ]
        if isinstance(value, UploadedFile):
            if "InputFile" in types:
                return value
            raise bad_request(f'field "{path}" must not be a file upload')
        objects = tuple(t for t in types if t in self.types)
        if objects:
            decoded = value
            if isinstance(value, str):
                try:
                    decoded = json.loads(value)
                except ValueError:
                    decoded = None
                    if "String" not in types:
                        what = "reply keyboard markup" if path == "reply_markup" else path
                        raise bad_request(f"can't parse {what} JSON object") from None
            if isinstance(decoded, dict):
                return self._object_union(decoded, objects, path, files)
            if "String" not in types and not any(t in _PRIMITIVES for t in types):
                raise bad_request(f'field "{path}" must be an Object')
        errors: list[ApiError] = []
        for t in ("InputFile", *_PRIMITIVES):
            if t in types:
                try:
                    return self._primitive(value, t, path, files)
                except ApiError as exc:
                    errors.append(exc)
        if errors:
            raise errors[-1] if len(errors) > 1 else errors[0]
        raise bad_request(f'field "{path}" has unsupported type {"/".join(types)}')

    @staticmethod
    def _decode_json(value: Any, path: str) -> Any:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {path} JSON array") from None
        return value

    @staticmethod
    def _primitive(value: Any, t: str, path: str, files: Mapping[str, UploadedFile]) -> Any:
        if t == "InputFile":
            if isinstance(value, str) and value.startswith("attach://"):
                name = value.removeprefix("attach://")
                if name not in files:
                    raise bad_request(f'file "{name}" for field "{path}" was not uploaded')
                return files[name]
            raise bad_request(f'field "{path}" must be a file upload')
        if t == "Integer":
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            if isinstance(value, str) and _INT_RE.match(value.strip()):
                return int(value.strip())
            raise bad_request(f'field "{path}" must be of type Integer')
        if t == "Float":
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value)
            if isinstance(value, str) and _FLOAT_RE.match(value.strip()):
                return float(value.strip())
            raise bad_request(f'field "{path}" must be of type Float')
        if t in ("Boolean", "True"):
            if isinstance(value, bool):
                return value
            if isinstance(value, int) and value in (0, 1):
                return bool(value)
            if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
                return value.strip().lower() in ("true", "1")
            raise bad_request(f'field "{path}" must be of type Boolean')
        # String: Telegram also takes JSON numbers where a string is expected.
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise bad_request(f'field "{path}" must be of type String')

    def _object_union(
        self,
        value: dict[str, Any],
        names: tuple[str, ...],
        path: str,
        files: Mapping[str, UploadedFile],
    ) -> dict[str, Any]:
        expanded: list[str] = []
        for name in names:
            expanded.extend(self._leaf_types(name))
        chosen = self._choose_type(value, expanded, path)
        return self._validate_object(value, chosen, path, files)

    def _leaf_types(self, name: str) -> list[str]:
        t = self.types[name]
        if not t.subtypes:
            return [name]
        leaves: list[str] = []
        for sub in t.subtypes:
            if sub in self.types:
                leaves.extend(self._leaf_types(sub))
        return leaves

    def _choose_type(self, value: dict[str, Any], candidates: list[str], path: str) -> str:
        if len(candidates) == 1:
            return candidates[0]
        kind = value.get("type")
        with_disc = [c for c in candidates if self.types[c].discriminator is not None]
        if with_disc and kind is not None:
            narrowed = [c for c in candidates if self.types[c].discriminator == kind]
            if not narrowed:
                raise bad_request(f'can\'t parse {path}: unsupported type "{kind}"')
            candidates = narrowed
        elif with_disc and len(with_disc) == len(candidates):
            raise bad_request(f'can\'t parse {path}: field "type" is required')

        def score(name: str) -> tuple[int, int, int]:
            fields = self.types[name].fields
            missing = sum(1 for f in fields.values() if f.required and f.name not in value)
            unknown = sum(1 for k in value if k not in fields)
            known = sum(1 for k in value if k in fields)
            return (missing, unknown, -known)

        return min(candidates, key=score)

    def _validate_object(
        self,
        value: dict[str, Any],
        type_name: str,
        path: str,
        files: Mapping[str, UploadedFile],
    ) -> dict[str, Any]:
        spec = self.types[type_name]
        if spec.discriminator is not None and value.get("type", spec.discriminator) != (
            spec.discriminator
        ):
            raise bad_request(f'can\'t parse {type_name}: type must be "{spec.discriminator}"')
        out: dict[str, Any] = {}
        for key, item in value.items():
            field_spec = spec.fields.get(key)
            if field_spec is None:
                raise bad_request(f'can\'t parse {type_name}: unknown field "{key}" in {path}')
            if item is None:
                continue
            out[key] = self._coerce(item, field_spec, f"{path}.{key}", type_name, value, files)
        for f in spec.fields.values():
            if f.required and f.name not in out:
                if f.name == "type" and spec.discriminator is not None:
                    out["type"] = spec.discriminator
                    continue
                raise bad_request(f'can\'t parse {type_name}: field "{f.name}" is required')
        self._check_object(type_name, out)
        return out

    # --------------------------------------------------------------------------------- limits

    def _check_object(self, type_name: str, obj: dict[str, Any]) -> None:
        if type_name in ("InlineKeyboardButton", "KeyboardButton") and not obj.get("text"):
            raise bad_request("BUTTON_TEXT_INVALID")
        if type_name == "InlineKeyboardButton":
            actions = [k for k in obj if k not in _BUTTON_NON_ACTION]
            if not actions:
                raise bad_request(
                    "can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
            if len(actions) > 1:
                raise bad_request(
                    "can't parse inline keyboard button: exactly one of "
                    f"{', '.join(sorted(actions))} must be used"
                )

    def _check_limits(
        self,
        value: Any,
        spec: SpecField,
        path: str,
        owner: str,
        siblings: Mapping[str, Any],
    ) -> None:
        desc = spec.description
        if isinstance(value, list):
            bounds = _ITEMS_RE.search(desc)
            lo, hi = (int(bounds.group(1)), int(bounds.group(2))) if bounds else (0, None)
            at_most = _AT_MOST_RE.search(desc)
            if at_most:
                hi = int(at_most.group(1))
            if len(value) < lo or (hi is not None and len(value) > hi):
                raise bad_request(_count_error(owner, spec.name, path, len(value), lo, hi))
            return
        if not isinstance(value, str):
            return
        if _COMMAND_CHARSET in desc and not re.fullmatch(r"[a-z0-9_]*", value):
            raise bad_request(_length_error(owner, spec.name, path, "", too_long=False))
        bounds = _RANGE_RE.search(desc)
        if not bounds:
            return
        lo, hi, unit = int(bounds.group(1)), int(bounds.group(2)), bounds.group(3)
        if unit == "bytes":
            size = len(value.encode("utf-8"))
        elif "entit" in desc:
            size = len(self._plain(value, siblings.get("parse_mode")))
        else:
            size = len(value)
        if size < lo or size > hi:
            detail = f"{lo}-{hi} {unit}"
            raise bad_request(_length_error(owner, spec.name, path, detail, too_long=size > hi))

    @staticmethod
    def _plain(text: str, parse_mode: Any) -> str:
        try:
            return parse_formatted(text, parse_mode if isinstance(parse_mode, str) else None).text
        except UnsupportedParseModeError:
            raise bad_request("unsupported parse_mode") from None
        except EntityParseError as exc:
            raise bad_request(f"can't parse entities: {exc}") from None


def _length_error(owner: str, name: str, path: str, bounds: str, *, too_long: bool) -> str:
    if name == "text" and owner in ("sendMessage", "editMessageText"):
        return "message is too long" if too_long else "message text is empty"
    if name == "caption":
        return "message caption is too long"
    if owner == "InlineKeyboardButton" and name == "callback_data":
        return "BUTTON_DATA_INVALID"
    if owner == "BotCommand":
        return "BOT_COMMAND_INVALID" if name == "command" else "BOT_COMMAND_DESCRIPTION_INVALID"
    if owner == "answerCallbackQuery" and name == "text":
        return "MESSAGE_TOO_LONG"
    return f'field "{path}" must be {bounds} long'


def _count_error(owner: str, name: str, path: str, count: int, lo: int, hi: int | None) -> str:
    if owner == "setMyCommands" and name == "commands":
        return "BOT_COMMANDS_TOO_MUCH"
    if owner == "sendMediaGroup" and name == "media":
        if count == 0:
            return "there are no messages to send"
        return (
            "too many messages to send as an album"
            if hi is not None and count > hi
            else "too few messages to send as an album"
        )
    upper = f"-{hi}" if hi is not None else "+"
    return f'field "{path}" must have {lo}{upper} items'


@functools.lru_cache(maxsize=4)
def _load_cached(path: str) -> BotApiSpec:
    with open(path, encoding="utf-8") as fh:
        return BotApiSpec(json.load(fh))
