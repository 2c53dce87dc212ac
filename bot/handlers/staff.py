"""/staff: the owner sees who works for the shop, invites a clerk with a one-time link
(`t.me/<bot>?start=staff_<token>`, valid INVITE_TTL) and removes a clerk after confirming.
The invited person opens the link, sees what a clerk may do, and joins with one tap; both are
told, and each one's command menu follows their new role.

Button data: bot/ui/buttons/staff.py (prefix `stf`), validated on every press (the presser may
manage that shop's staff; the row is a clerk; the invitation token is looked up).
"""

from __future__ import annotations

import logging
from contextlib import suppress
from urllib.parse import quote

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import clock
from bot.formatting import h
from bot.i18n import t
from bot.models import Shop, StaffRole, User
from bot.services import staff
from bot.services.staff import INVITE_LINK_KIND, Member, Permission, StaffError
from bot.ui.base import (
    Context,
    Deps,
    answer,
    deps,
    edit_in_place,
    expired,
    refusing,
    say,
    shop_to_manage,
)
from bot.ui.buttons.staff import (
    ConfirmRemoveClerk,
    DeclineStaff,
    InviteClerk,
    JoinStaff,
    RemoveClerk,
    StaffButton,
    StaffList,
)
from bot.ui.callbacks import CallbackData
from bot.ui.commands import publish_merchant_commands
from bot.ui.flow import show_menu
from bot.ui.keyboards import inline
from bot.ui.text import block, blocks, fit
from bot.views.coupons import local_time
from bot.views.operator import is_operator

log = logging.getLogger(__name__)


def invite_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username}?start={INVITE_LINK_KIND}_{token}"


# --------------------------------------------------------------------------- the owner


def _member_line(lang: str, member: Member, viewer_id: int) -> str:
    name = h(member.first_name) + (f" (@{h(member.username)})" if member.username else "")
    if member.user_id == viewer_id:
        name = t(lang, "roles.you", name=name)
    return t(lang, f"roles.member_{member.role.value}", name=name)


def list_screen(
    lang: str, shop: Shop, members: list[Member], viewer_id: int
) -> tuple[str, InlineKeyboardMarkup]:
    """Who works for the shop, what a clerk may do, and the buttons to invite and remove."""
    clerks = [m for m in members if m.role == StaffRole.CLERK]
    parts = blocks([t(lang, "roles.list_title", shop=h(shop.name)), ""])
    parts += [block(_member_line(lang, m, viewer_id), drop=1) for m in members]
    parts += blocks(["", t(lang, "roles.clerk_can" if clerks else "roles.no_clerks")])
    rows: list[list[tuple[str, CallbackData]]] = [
        [(t(lang, "roles.invite_button"), InviteClerk(shop_id=shop.id))]
    ]
    rows += [
        [(t(lang, "roles.remove_button", name=m.first_name), RemoveClerk(staff_id=m.staff_id))]
        for m in clerks
    ]
    text = fit(parts, more=lambda count: t(lang, "limits.more_items", count=count)).html
    return text, inline(rows)


async def staff_command(update: Update, context: Context) -> None:
    """/staff: the staff of the user's shop, or a choice when they own several."""
    user = context.user
    shop = await shop_to_manage(
        update,
        user,
        permission=Permission.MANAGE_STAFF,
        choose_key="roles.pick_shop",
        choice_data=lambda s: StaffList(shop_id=s.id),
    )
    if shop is not None:
        text, markup = list_screen(user.language, *await staff.members(user.id, shop.id), user.id)
        await say(update, text, reply_markup=markup)


async def _show_list(update: Update, user: User, shop_id: int) -> bool:
    shop, members = await staff.members(user.id, shop_id)
    await answer(update)
    text, markup = list_screen(user.language, shop, members, user.id)
    await edit_in_place(update.callback_query, text, markup)  # type: ignore[arg-type]
    return True


async def _invite(update: Update, context: Context, user: User, shop_id: int) -> bool:
    """A fresh one-time link, as a new message the owner can forward."""
    lang = user.language
    invitation = await staff.create_invite(user.id, shop_id, now=clock.now())
    link = invite_link(deps(context).bot_username, invitation.token)
    await answer(update)
    text = t(
        lang,
        "roles.invite_link",
        shop=h(invitation.shop.name),
        link=h(link),
        until=local_time(invitation.expires_at, user.timezone),
    )
    share = f"https://t.me/share/url?url={quote(link, safe='')}"
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton(t(lang, "roles.share_button"), url=share)]]
    )
    await say(update, text, reply_markup=markup)
    return True


async def _ask_remove(update: Update, user: User, staff_id: int) -> bool:
    lang = user.language
    try:
        clerk = await staff.clerk_to_remove(user.id, staff_id)
    except StaffError:
        return False
    await answer(update)
    markup = inline(
        [
            [(t(lang, "roles.remove_yes"), ConfirmRemoveClerk(staff_id=staff_id))],
            [(t(lang, "common.back"), StaffList(shop_id=clerk.shop.id))],
        ]
    )
    text = t(lang, "roles.remove_confirm", name=h(clerk.first_name), shop=h(clerk.shop.name))
    await edit_in_place(update.callback_query, text, markup)  # type: ignore[arg-type]
    return True


async def _remove(update: Update, context: Context, user: User, staff_id: int) -> bool:
    try:
        removed = await staff.remove_clerk(user.id, staff_id)
    except StaffError:
        return False
    await answer(update, t(user.language, "roles.removed_toast", name=removed.first_name))
    shop, members = await staff.members(user.id, removed.shop.id)
    text, markup = list_screen(user.language, shop, members, user.id)
    await edit_in_place(update.callback_query, text, markup)  # type: ignore[arg-type]
    clerk = await User.get_or_none(id=removed.user_id)
    if clerk is not None:
        await _refresh_menu(context, clerk.id)  # before telling: the menu is right when read
        await _tell(context, clerk.id, t(clerk.language, "roles.removed", shop=h(shop.name)))
    return True


# --------------------------------------------------------------------- the invited person


async def open_invite_link(update: Update, context: Context, token: str) -> None:
    """`/start staff_<token>`: what joining means, and a button to join (or a refusal)."""
    user = context.user
    lang = user.language
    try:
        offer = await staff.preview_invite(token, user.id, now=clock.now())
    except StaffError as error:
        await say(update, _invite_refusal(lang, error, html=True))
        return
    text = t(lang, "roles.invited", inviter=h(offer.inviter_name), shop=h(offer.shop_name))
    markup = inline(
        [
            [(t(lang, "roles.join_button", shop=offer.shop_name), JoinStaff(token=token))],
            [(t(lang, "roles.decline_button"), DeclineStaff(token=token))],
        ]
    )
    await say(update, text, reply_markup=markup)


async def _join(update: Update, context: Context, user: User, token: str) -> bool:
    lang = user.language
    query = update.callback_query
    assert query is not None
    try:
        joined = await staff.accept_invite(token, user.id, now=clock.now())
    except StaffError as error:
        await answer(update, _invite_refusal(lang, error, html=False), alert=True)
        await _close(query.message, None)
        return True
    await answer(update)
    await _refresh_menu(context, user.id)  # before saying so: the menu is right when read
    await _close(query.message, t(lang, "roles.joined", shop=h(joined.shop.name)))
    await show_menu(update, user, t(lang, "walk.counter_hint"))  # the counter row, at hand
    inviter = await User.get_or_none(id=joined.inviter_id)
    if inviter is not None:
        text = t(
            inviter.language,
            "roles.joined_owner",
            name=h(user.first_name),
            shop=h(joined.shop.name),
        )
        await _tell(context, inviter.id, text)
    return True


async def _decline(update: Update, user: User) -> bool:
    query = update.callback_query
    assert query is not None
    await answer(update)
    await _close(query.message, t(user.language, "roles.declined"))
    return True


# ------------------------------------------------------------------------------ helpers


def _invite_refusal(lang: str, error: StaffError, *, html: bool) -> str:
    """Why an invitation cannot be used (for a message, or a plain-text alert)."""
    details = {k: h(str(v)) if html else v for k, v in error.details.items()}
    return t(lang, f"roles.invite_{error.reason}", **details)


async def _close(message: object, footer: str | None) -> None:
    """Take the buttons off the invitation, adding a footer line."""
    if not isinstance(message, Message):
        return
    with suppress(BadRequest):  # too old to edit: the answer already told
        text = (message.text_html or "") + (f"\n\n{footer}" if footer else "")
        await message.edit_text(text, reply_markup=None)


async def _tell(context: Context, user_id: int, text: str) -> None:
    """A note to the other person; one who blocked the bot simply does not get it."""
    with suppress(Forbidden, BadRequest):
        await context.bot.send_message(user_id, text)


async def _refresh_menu(context: Context, user_id: int) -> None:
    """Their command menu after a change of role (the commands their roles now allow)."""
    operator = is_operator(deps(context).config, user_id)
    try:
        await publish_merchant_commands(context.bot, user_id, operator=operator)
    except (Forbidden, BadRequest) as exc:
        log.info("menu of %s not updated: %s", user_id, exc.message)


@refusing
async def on_press(update: Update, context: Context) -> None:
    """Every staff button; stale data (a clerk already removed) changes nothing."""
    user = context.user
    match StaffButton.pressed(update):
        case StaffList(shop_id=shop_id):
            done = await _show_list(update, user, shop_id)
        case InviteClerk(shop_id=shop_id):
            done = await _invite(update, context, user, shop_id)
        case RemoveClerk(staff_id=staff_id):
            done = await _ask_remove(update, user, staff_id)
        case ConfirmRemoveClerk(staff_id=staff_id):
            done = await _remove(update, context, user, staff_id)
        case JoinStaff(token=token):
            done = await _join(update, context, user, token)
        case DeclineStaff():
            done = await _decline(update, user)
        case _:
            done = False
    if not done:
        await expired(update, user.language)


def register(app: Application, deps: Deps) -> None:  # type: ignore[type-arg]
    deps.deep_links[INVITE_LINK_KIND] = open_invite_link
    app.add_handler(CommandHandler("staff", staff_command))
    app.add_handler(CallbackQueryHandler(on_press, pattern=StaffButton.pattern()))
