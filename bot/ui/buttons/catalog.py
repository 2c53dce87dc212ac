"""/services: a shop's list of services and each service's card."""

from __future__ import annotations

from typing import Literal

from bot.ui.callbacks import CallbackData, Id

ServiceField = Literal["name", "price", "desc", "photo"]


class CatalogButton(CallbackData, prefix="cat"):
    pass


class ServiceList(CatalogButton, action="list"):
    """The list as a new message (a link from other screens, e.g. /myshop)."""

    shop_id: Id


class ServiceListInPlace(CatalogButton, action="shop"):
    """The list in place of the pressed catalogue message."""

    shop_id: Id


class AddService(CatalogButton, action="add"):
    shop_id: Id


class OpenService(CatalogButton, action="open"):
    service_id: Id


class EditService(CatalogButton, action="edit"):
    service_id: Id
    field: ServiceField


class HideService(CatalogButton, action="hide"):
    service_id: Id
    hidden: bool


class MoveServiceUp(CatalogButton, action="up"):
    service_id: Id


class DeleteService(CatalogButton, action="del"):
    """Asks to confirm."""

    service_id: Id


class ConfirmDeleteService(CatalogButton, action="delok"):
    service_id: Id
