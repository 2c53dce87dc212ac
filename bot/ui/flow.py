"""Pieces every flow shares: the conversation itself (`Flow`), its draft, leaving with /cancel
from any step, refusing other commands mid-flow, and the main menu.

A flow is a persistent ConversationHandler named after it, with string states
`<flow>.<step>` (persisted: adding a step never shifts the others). Its work in progress lives
in `user_data["drafts"][<flow>]` (see `draft`), so flows never overwrite each other's, and is
dropped when the flow ends, however it ends.

Several flows may be under way at once: a button of an older message can start another flow
mid-flow (a pushed survey, "➕ New coupon" while registering a shop). The flow started last
answers; the others wait, unchanged, and go on once it ends. PTB alone would let whichever
was registered first take every update, so the newer flow could never get its answers.
Typed commands and menu buttons start nothing mid-flow: the flow under way answers them
("finish this step or /cancel"), whichever flow was registered first."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    BaseHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.i18n import t
from bot.models import User
from bot.services.staff import Permission, granted_anywhere
from bot.ui.base import Context, answer, say
from bot.ui.keyboards import any_label_pattern, menu_keyboard

END = ConversationHandler.END
CANCEL_LABEL = filters.Regex(any_label_pattern(["common.cancel_button"]))
SKIP_LABEL = filters.Regex(any_label_pattern(["common.skip"]))
PLAIN_TEXT = filters.TEXT & ~filters.COMMAND & ~CANCEL_LABEL
#: user_data keys: each flow's draft, and the user's flows under way, oldest first.
DRAFTS = "drafts"
STARTED = "flows"

Callback = Callable[[Update, Context], Awaitable[Any]]


# ------------------------------------------------------------------------------- drafts


def draft(context: Context, flow: str) -> dict[str, Any]:
    """The flow's draft, kept in persisted user_data so a restart resumes it."""
    assert context.user_data is not None
    return context.user_data.setdefault(DRAFTS, {}).setdefault(flow, {})


def new_draft(context: Context, flow: str, **values: Any) -> dict[str, Any]:
    """Start the flow's draft afresh (the other flows' drafts stay as they are)."""
    assert context.user_data is not None
    fresh = dict(values)
    context.user_data.setdefault(DRAFTS, {})[flow] = fresh
    return fresh


def drop_draft(context: Context, flow: str) -> None:
    if context.user_data is not None:
        context.user_data.get(DRAFTS, {}).pop(flow, None)


# ---------------------------------------------------------------------------- the flow


class Flow(ConversationHandler[Any]):
    """A persistent conversation with string states `<name>.<step>`; among a user's flows
    under way, the one started last answers (see the module docstring)."""

    def __init__(
        self,
        name: str,
        *,
        entry_points: Sequence[BaseHandler[Update, Any, Any]],
        states: dict[object, Sequence[BaseHandler[Update, Any, Any]]],
        fallbacks: Sequence[BaseHandler[Update, Any, Any]],
        allow_reentry: bool = False,
    ) -> None:
        wrong = [s for s in states if not (isinstance(s, str) and s.startswith(f"{name}."))]
        if wrong:
            raise ValueError(f"flow {name!r}: states must be strings '{name}.<step>': {wrong}")
        super().__init__(
            list(entry_points),
            {state: list(handlers) for state, handlers in states.items()},
            list(fallbacks),
            allow_reentry=allow_reentry,
            name=name,
            persistent=True,
        )
        self._application: Application[Any, Any, Any, Any, Any, Any] | None = None

    @property
    def flow_name(self) -> str:
        assert self.name is not None
        return self.name

    def is_active(self, update: Update) -> bool:
        """Whether the update's user is in this flow (answering or waiting)."""
        try:
            key = self._get_key(update)
        except RuntimeError:
            return False
        return self._conversations.get(key) is not None

    def check_update(self, update: object) -> Any:
        check = super().check_update(update)
        if check is None or not isinstance(update, Update):
            return check
        if self._application is None:
            return check
        if not self.is_active(update):  # starting: from a button even over flows under way
            return check if update.callback_query or not self._others_active(update) else None
        return check if self._answers(update) else None

    def _others_active(self, update: Update) -> bool:
        assert self._application is not None
        return any(f.is_active(update) for f in flows_of(self._application) if f is not self)

    def waits_for(self, update: Update) -> bool:
        """Whether this flow, waiting under a newer one, would have taken the update."""
        return (
            self._application is not None
            and self.is_active(update)
            and not self._answers(update)
            and super().check_update(update) is not None
        )

    def _answers(self, update: Update) -> bool:
        """Whether this flow is the user's newest one under way."""
        assert self._application is not None
        under_way = [f.flow_name for f in flows_of(self._application) if f.is_active(update)]
        user = update.effective_user
        started = self._application.user_data.get(user.id, {}).get(STARTED, []) if user else []
        unknown = [name for name in under_way if name not in started]
        order = unknown + [name for name in started if name in under_way]
        return not order or order[-1] == self.flow_name

    async def handle_update(  # type: ignore[override]
        self,
        update: Update,
        application: Application[Any, Any, Any, Any, Any, Any],
        check_result: Any,
        context: Context,
    ) -> object:
        was_active = self.is_active(update)
        result = await super().handle_update(update, application, check_result, context)
        if context.user_data is None:
            return result
        started: list[str] = context.user_data.setdefault(STARTED, [])
        if self.flow_name in started and not (was_active and self.is_active(update)):
            started.remove(self.flow_name)
        if self.is_active(update):
            if self.flow_name not in started:
                started.append(self.flow_name)
            return result
        drop_draft(context, self.flow_name)
        if was_active and any(f.is_active(update) for f in flows_of(application)):
            await say(update, t(context.user.language, "flow.resumed"))
        return result


def add_flow(app: Application[Any, Any, Any, Any, Any, Any], flow: Flow) -> None:
    """Register a flow (group 0, where first match wins)."""
    flow._application = app
    app.add_handler(flow)


def flows_of(app: Application[Any, Any, Any, Any, Any, Any]) -> list[Flow]:
    return [h for group in app.handlers.values() for h in group if isinstance(h, Flow)]


def waiting_flow_wants(app: Application[Any, Any, Any, Any, Any, Any], update: Update) -> bool:
    """Whether a flow waiting under a newer one would take this update (say "finish or
    cancel first" rather than "expired": its button works again once the newer one ends)."""
    return any(flow.waits_for(update) for flow in flows_of(app))


# ------------------------------------------------------------------------ leaving a flow


async def show_menu(update: Update, user: User, text: str) -> None:
    counter = Permission.REDEEM in await granted_anywhere(user.id)
    await say(
        update,
        text,
        reply_markup=menu_keyboard(
            user.language, consumer=user.is_consumer, merchant=user.is_merchant, counter=counter
        ),
    )


async def cancel(update: Update, context: Context) -> int:
    """Leave the current flow (its draft goes when it ends) and show the main menu."""
    user = context.user
    if update.callback_query is not None:
        await update.callback_query.answer()
    await show_menu(update, user, t(user.language, "common.cancelled"))
    return END


async def busy(update: Update, context: Context) -> None:
    """Another command mid-flow: keep the flow, tell the user how to leave it."""
    await say(update, t(context.user.language, "common.finish_or_cancel"))


async def busy_press(update: Update, context: Context) -> None:
    """A button mid-flow that would start something else: finish or cancel this first."""
    await answer(update, t(context.user.language, "common.finish_or_cancel"), alert=True)


def flow_fallbacks() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        CommandHandler("cancel", cancel),
        MessageHandler(CANCEL_LABEL, cancel),
        MessageHandler(filters.COMMAND, busy),
    ]


async def unknown_text(update: Update, context: Context) -> None:
    """Anything no handler understood: point to the menu instead of staying silent."""
    user = context.user
    await show_menu(update, user, t(user.language, "common.not_understood"))
