"""Platform operators deciding on a new shop."""

from __future__ import annotations

from bot.ui.callbacks import CallbackData, Id


class OperatorButton(CallbackData, prefix="opr"):
    pass


class ApproveShop(OperatorButton, action="ok"):
    shop_id: Id


class RejectShop(OperatorButton, action="no"):
    shop_id: Id


class ViewPendingShop(OperatorButton, action="view"):
    shop_id: Id


class ApproveChange(OperatorButton, action="cok"):
    """A live shop's waiting change of name, category or location."""

    change_id: Id


class RejectChange(OperatorButton, action="cno"):
    change_id: Id


class ShowChangeLocation(OperatorButton, action="cmap"):
    """The pin a waiting change would move the shop to."""

    change_id: Id
