"""/newshop (registering a shop, its preview) and /myshop (a shop's menu, editing a field)."""

from __future__ import annotations

from typing import Literal

from bot.ui.callbacks import CallbackData, Id

ShopField = Literal[
    "name", "category", "location", "address", "phone", "hours", "description", "photos"
]


class NewShopButton(CallbackData, prefix="nshop"):
    pass


class ShopCategory(NewShopButton, action="cat"):
    """A category, by its index in the configured list."""

    index: int


class PreviewChoice(NewShopButton, action="do"):
    """Under the preview: publish, show the fields to fix, back, cancel, start over."""

    choice: Literal["ok", "fix", "back", "cancel", "restart"]


class FixField(NewShopButton, action="fix"):
    field: ShopField


class MyShopButton(CallbackData, prefix="myshop"):
    pass


class PickMyShop(MyShopButton, action="pick"):
    shop_id: Id


class ViewMyShop(MyShopButton, action="view"):
    shop_id: Id


class EditMyShop(MyShopButton, action="edit"):
    """Change one field of a saved shop (starts the /newshop flow in `edit` mode)."""

    shop_id: Id
    field: ShopField
