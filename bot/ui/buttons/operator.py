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
