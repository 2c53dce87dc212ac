"""/card: the owner designs the shop's membership card program, seeing the card face exactly
as customers will carry it at every step.

One persistent conversation over a handful of screens (tiers, one tier, its colour, how points
are spent, stored value and top-up bonuses, member fields, expiry, review). Each screen is a
new photo: the face of the tier being edited, and as its caption a short summary of the whole
program and what this step is about, with its buttons. A button asks for a typed value when one
is needed; bad input gets a polite answer and changes nothing. The draft
(`draft(context, FLOW)`) holds plain values (bot.services.card_programs.ProgramDraft as a dict),
so a restart mid-flow resumes it. Only the latest screen's buttons work; Save saves once.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from telegram import InputFile, Update
from telegram.constants import ChatAction
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import clock
from bot.config import Config
from bot.formatting import format_price, h, parse_price
from bot.i18n import t
from bot.models import Shop, User
from bot.services import card_programs, catalog
from bot.services.card_programs import (
    PALETTE,
    BonusDraft,
    ProgramDraft,
    ProgramError,
    RewardDraft,
    TierDraft,
)
from bot.services.numbers import ascii_digits, parse_whole
from bot.services.staff import Permission, require, shop_if_allowed
from bot.ui.base import Context, Deps, answer, deps, expired, refusing, say, shop_to_manage
from bot.ui.buttons.cardprog import (
    CardAddTier,
    CardAsk,
    CardColour,
    CardExpiry,
    CardGo,
    CardProgButton,
    CardRemove,
    CardSave,
    CardService,
    CardShop,
    CardTier,
    CardToggle,
)
from bot.ui.callbacks import CallbackData, any_of
from bot.ui.flow import (
    CANCEL_LABEL,
    END,
    PLAIN_TEXT,
    Flow,
    add_flow,
    busy,
    draft,
    flow_fallbacks,
    new_draft,
    show_menu,
)
from bot.ui.keyboards import CONSUMER_MENU, MERCHANT_MENU, any_label_pattern, inline
from bot.ui.text import CAPTION_MAX, fit_html, measure
from bot.views.card_faces import SAMPLE_NUMBER, card_png

FLOW = "cardprog"
SCREEN, INPUT = "cardprog.screen", "cardprog.input"
COLOUR_EMOJI = {
    "silver": "⚪",
    "gold": "🟡",
    "black": "⚫",
    "red": "🔴",
    "blue": "🔵",
    "green": "🟢",
    "purple": "🟣",
    "orange": "🟠",
}
QUICK_EXPIRY = (0, 6, 12, 24)
#: Which screen a typed field returns to.
FIELD_SECTION = {
    "name": "tier",
    "points": "tier",
    "discount": "tier",
    "spend": "tier",
    "topup": "tier",
    "off": "spend",
    "minorder": "spend",
    "maxpoints": "spend",
    "gift": "spend",
    "svcpoints": "spend",
    "bonus": "value",
    "expiry": "expiry",
}
_GIFT = re.compile(r"^(.*?\S)\s+([0-9][0-9,]*)\s*$", re.DOTALL)
_PAIR = re.compile(r"[\s,/+→>送赠]+")
MENU_LABELS = filters.Regex(any_label_pattern([*CONSUMER_MENU, *MERCHANT_MENU, "menu.help"]))
TEXT = PLAIN_TEXT & ~MENU_LABELS
ANYTHING_ELSE = filters.ALL & ~filters.COMMAND & ~CANCEL_LABEL & ~MENU_LABELS


# ------------------------------------------------------------------------------ the draft


def program(context: Context) -> ProgramDraft:
    return ProgramDraft.from_dict(draft(context, FLOW)["program"])


def keep(context: Context, prog: ProgramDraft) -> None:
    draft(context, FLOW)["program"] = prog.to_dict()


def _colour_name(colour: str) -> str:
    return next((name for name, value in PALETTE.items() if value == colour), "silver")


# ---------------------------------------------------------------------------- the summary


def summary(
    lang: str, prog: ProgramDraft, shop_name: str, config: Config, *, compact: bool = False
) -> str:
    """The whole program in a few lines (HTML), under every preview; `compact` counts the
    rewards and bonuses instead of listing them (a long program in a 1,024-unit caption)."""
    money = lambda cents: format_price(cents, config)  # noqa: E731
    lines = [t(lang, "cardprog.summary_title", shop=h(shop_name)), ""]
    for n, tier in enumerate(prog.tiers, 1):
        lines.append(f"{n}. {tier_line(lang, tier, config)}")
    if prog.points_per_currency_unit_off:
        lines.append(
            t(
                lang,
                "cardprog.summary_points",
                points=f"{prog.points_per_currency_unit_off:,}",
                unit=money(100),
            )
        )
        if prog.min_order_cents:
            lines.append(t(lang, "cardprog.summary_min_order", amount=money(prog.min_order_cents)))
        if prog.max_points_per_order:
            lines.append(
                t(lang, "cardprog.summary_max_points", points=f"{prog.max_points_per_order:,}")
            )
    else:
        lines.append(t(lang, "cardprog.summary_points_off"))
    if compact and prog.rewards:
        lines.append(t(lang, "cardprog.summary_rewards", count=len(prog.rewards)))
    for reward in [] if compact else prog.rewards:
        lines.append(
            t(lang, "cardprog.summary_reward", name=h(reward.name), points=f"{reward.points:,}")
        )
    value = "cardprog.summary_value_on" if prog.stored_value else "cardprog.summary_value_off"
    lines.append(t(lang, value))
    if compact and prog.top_up_bonuses:
        lines.append("    " + t(lang, "cardprog.summary_bonuses", count=len(prog.top_up_bonuses)))
    for bonus in [] if compact else prog.top_up_bonuses:
        lines.append("    " + bonus_text(lang, bonus, config))
    asked = [
        t(lang, f"cardprog.field_{name}")
        for name, on in (
            ("name", prog.need_name),
            ("phone", prog.need_phone),
            ("birthday", prog.need_birthday),
        )
        if on
    ]
    lines.append(
        t(lang, "cardprog.summary_fields", fields=", ".join(asked))
        if asked
        else t(lang, "cardprog.summary_no_fields")
    )
    lines.append(expiry_text(lang, prog))
    return "\n".join(lines)


def tier_line(lang: str, tier: TierDraft, config: Config) -> str:
    parts = [f"<b>{h(tier.name)}</b>"]
    if tier.threshold_spend_cents:
        parts.append(
            t(lang, "cardprog.tier_from", amount=format_price(tier.threshold_spend_cents, config))
        )
    else:
        parts.append(t(lang, "cardprog.tier_entry"))
    if tier.threshold_topup_cents:
        parts.append(
            t(lang, "cardprog.tier_topup", amount=format_price(tier.threshold_topup_cents, config))
        )
    parts.append(
        t(lang, "cardprog.tier_earn", points=tier.points_per_unit, unit=format_price(100, config))
    )
    if tier.discount_percent:
        parts.append(t(lang, "cardprog.tier_discount", percent=tier.discount_percent))
    return " · ".join(parts)


def bonus_text(lang: str, bonus: BonusDraft, config: Config) -> str:
    return t(
        lang,
        "cardprog.bonus",
        amount=format_price(bonus.min_cents, config),
        bonus=format_price(bonus.bonus_cents, config),
    )


def expiry_text(lang: str, prog: ProgramDraft) -> str:
    months = prog.points_expiry_months
    text = (
        t(lang, "cardprog.expiry_never")
        if months is None
        else t(lang, "cardprog.expiry_months", count=months)
    )
    if prog.requalify_yearly:
        text += " · " + t(lang, "cardprog.requalify_on")
    return text


def problem_text(lang: str, problem: card_programs.Problem) -> str:
    params = {k: h(v) if isinstance(v, str) else v for k, v in problem.details.items()}
    if "tier" in params:
        params["n"] = params["tier"] + 1
    if "item" in params:
        params["n"] = params["item"] + 1
    return t(lang, f"cardprog.problem_{problem.reason}", **params)


# ------------------------------------------------------------------------------ screens


def _mark(on: bool) -> str:
    return "✅" if on else "⬜"


async def screen(
    section: str, lang: str, prog: ProgramDraft, d: dict[str, Any], config: Config
) -> tuple[str, list[list[tuple[str, CallbackData]]]]:
    """The step's text (under the summary) and its buttons."""
    index = min(d.get("tier", 0), len(prog.tiers) - 1)
    tier = prog.tiers[index]
    back_tiers = (t(lang, "cardprog.back_tiers"), CardGo(section="tiers"))
    rows: list[list[tuple[str, CallbackData]]] = []
    if section == "tiers":
        buttons = [(f"✏️ {tier.name}", CardTier(index=i)) for i, tier in enumerate(prog.tiers)]
        rows += [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        if len(prog.tiers) < card_programs.MAX_TIERS:
            rows.append([(t(lang, "cardprog.add_tier"), CardAddTier())])
        rows.append([(t(lang, "cardprog.next_spend"), CardGo(section="spend"))])
        rows.append([(t(lang, "cardprog.review"), CardGo(section="review"))])
        return t(lang, "cardprog.step_tiers"), rows
    if section == "tier":
        text = t(lang, "cardprog.step_tier", n=index + 1, line=tier_line(lang, tier, config))
        rows.append(
            [
                (t(lang, "cardprog.edit_name"), CardAsk(field="name")),
                (t(lang, "cardprog.edit_colour"), CardGo(section="colour")),
            ]
        )
        rows.append(
            [
                (t(lang, "cardprog.edit_points"), CardAsk(field="points")),
                (t(lang, "cardprog.edit_discount"), CardAsk(field="discount")),
            ]
        )
        if index > 0:
            rows.append(
                [
                    (t(lang, "cardprog.edit_spend"), CardAsk(field="spend")),
                    (t(lang, "cardprog.edit_topup"), CardAsk(field="topup")),
                ]
            )
        if len(prog.tiers) > card_programs.MIN_TIERS:
            rows.append([(t(lang, "cardprog.remove_tier"), CardRemove(item="tier", index=index))])
        rows.append([back_tiers])
        return text, rows
    if section == "colour":
        buttons = [
            (f"{COLOUR_EMOJI[name]} {t(lang, f'cardprog.colour_{name}')}", CardColour(colour=name))  # type: ignore[arg-type]
            for name in PALETTE
        ]
        rows += [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        rows.append([(t(lang, "common.back"), CardTier(index=index))])
        return t(lang, "cardprog.step_colour", name=h(tier.name)), rows
    if section == "spend":
        rows.append([(t(lang, "cardprog.edit_off"), CardAsk(field="off"))])
        rows.append(
            [
                (t(lang, "cardprog.edit_min_order"), CardAsk(field="minorder")),
                (t(lang, "cardprog.edit_max_points"), CardAsk(field="maxpoints")),
            ]
        )
        for i, reward in enumerate(prog.rewards):
            rows.append([(f"🗑 {reward.name}", CardRemove(item="reward", index=i))])
        if len(prog.rewards) < card_programs.MAX_REWARDS:
            rows.append(
                [
                    (t(lang, "cardprog.add_service_reward"), CardGo(section="services")),
                    (t(lang, "cardprog.add_gift"), CardAsk(field="gift")),
                ]
            )
        rows.append([back_tiers, (t(lang, "cardprog.next_value"), CardGo(section="value"))])
        return t(lang, "cardprog.step_spend"), rows
    if section == "services":
        services = await catalog.services_of(d["shop_id"], include_hidden=False)
        for service in services[:20]:
            rows.append([(service.name, CardService(service_id=service.id))])
        rows.append([(t(lang, "common.back"), CardGo(section="spend"))])
        key = "cardprog.step_services" if services else "cardprog.step_no_services"
        return t(lang, key), rows
    if section == "value":
        rows.append(
            [
                (
                    f"{_mark(prog.stored_value)} {t(lang, 'cardprog.toggle_value')}",
                    CardToggle(flag="value"),
                )
            ]
        )
        for i, bonus in enumerate(prog.top_up_bonuses):
            rows.append(
                [(f"🗑 {bonus_text(lang, bonus, config)}", CardRemove(item="bonus", index=i))]
            )
        if prog.stored_value and len(prog.top_up_bonuses) < card_programs.MAX_BONUSES:
            rows.append([(t(lang, "cardprog.add_bonus"), CardAsk(field="bonus"))])
        rows.append(
            [
                (t(lang, "common.back"), CardGo(section="spend")),
                (t(lang, "cardprog.next_fields"), CardGo(section="fields")),
            ]
        )
        return t(lang, "cardprog.step_value"), rows
    if section == "fields":
        for flag, on in (
            ("name", prog.need_name),
            ("phone", prog.need_phone),
            ("birthday", prog.need_birthday),
        ):
            name = t(lang, f"cardprog.field_{flag}")
            label = f"{_mark(on)} {name[:1].upper()}{name[1:]}"
            rows.append([(label, CardToggle(flag=flag))])  # type: ignore[arg-type]
        rows.append(
            [
                (t(lang, "common.back"), CardGo(section="value")),
                (t(lang, "cardprog.next_expiry"), CardGo(section="expiry")),
            ]
        )
        return t(lang, "cardprog.step_fields"), rows
    if section == "expiry":
        current = prog.points_expiry_months or 0
        quick = [
            (
                ("✓ " if months == current else "")
                + (
                    t(lang, "cardprog.never")
                    if months == 0
                    else t(lang, "cardprog.months_button", count=months)
                ),
                CardExpiry(months=months),
            )
            for months in QUICK_EXPIRY
        ]
        rows += [quick[:2], quick[2:]]
        rows.append([(t(lang, "cardprog.other_months"), CardAsk(field="expiry"))])
        label = f"{_mark(prog.requalify_yearly)} {t(lang, 'cardprog.toggle_requalify')}"
        rows.append([(label, CardToggle(flag="requalify"))])
        rows.append(
            [
                (t(lang, "common.back"), CardGo(section="fields")),
                (t(lang, "cardprog.review"), CardGo(section="review")),
            ]
        )
        return t(lang, "cardprog.step_expiry"), rows
    problems = card_programs.validate(prog)
    if problems:
        text = "\n".join(
            [
                t(lang, "cardprog.step_review_problems"),
                *("• " + problem_text(lang, p) for p in problems),
            ]
        )
    else:
        text = t(lang, "cardprog.step_review")
        rows.append([(t(lang, "cardprog.save"), CardSave())])
    rows.append([back_tiers])
    return text, rows


async def show(update: Update, context: Context, user: User, section: str) -> str:
    """Send the section's screen: the face of the tier being edited, the summary and the
    step's text as its caption, and the step's buttons. Older screens' buttons expire."""
    lang = user.language
    d = draft(context, FLOW)
    d["section"] = section
    d.pop("asking", None)
    prog = program(context)
    config = deps(context).config
    text, rows = await screen(section, lang, prog, d, config)
    caption = summary(lang, prog, d["shop_name"], config) + "\n\n" + text
    if measure(caption) > CAPTION_MAX:  # the step's text stays whole; the summary gives way
        caption = summary(lang, prog, d["shop_name"], config, compact=True) + "\n\n" + text
    caption = fit_html(caption, CAPTION_MAX)
    chat = update.effective_chat
    assert chat is not None
    await _retire(context, chat.id, d.get("screen"))
    await chat.send_action(ChatAction.UPLOAD_PHOTO)
    index = min(d.get("tier", 0), len(prog.tiers) - 1)
    tier = prog.tiers[index]
    bot_name = deps(context).bot_username
    png = await card_png(
        context.bot,
        shop_id=d["shop_id"],
        shop_name=d["shop_name"],
        tier_name=tier.name,
        colour=tier.colour,
        member_number=SAMPLE_NUMBER,
        qr_payload=f"https://t.me/{bot_name}?start=join_{d['shop_id']}" if bot_name else None,
        lang=lang,
    )
    sent = await chat.send_photo(
        InputFile(png, filename="card.png"), caption=caption, reply_markup=inline(rows)
    )
    d["screen"] = sent.message_id
    return SCREEN


async def _retire(context: Context, chat_id: int, message_id: int | None) -> None:
    """Take the buttons off the previous screen: only the latest one works."""
    if message_id is None:
        return
    with contextlib.suppress(BadRequest):  # already without buttons, or gone
        await context.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)


# ----------------------------------------------------------------------------- starting


async def card_command(update: Update, context: Context) -> str | int:
    """/card: the owner's shop, or a choice of shop for an owner of several."""
    user = context.user
    shop = await shop_to_manage(
        update,
        user,
        permission=Permission.DESIGN_CARD,
        choose_key="cardprog.pick_shop",
        choice_data=lambda s: CardShop(shop_id=s.id),
    )
    return END if shop is None else await begin(update, context, user, shop)


@refusing
async def shop_press(update: Update, context: Context) -> str | int:
    user = context.user
    shop = await require(user.id, CardShop.pressed(update).shop_id, Permission.DESIGN_CARD)
    await answer(update)
    return await begin(update, context, user, shop)


async def begin(update: Update, context: Context, user: User, shop: Shop) -> str:
    saved = await card_programs.load(shop.id)
    prog = saved or card_programs.default_draft()
    if saved is None:  # the defaults' names in the owner's language
        for tier, key in zip(
            prog.tiers, ("cardprog.default_silver", "cardprog.default_gold"), strict=True
        ):
            tier.name = t(user.language, key)
    new_draft(context, FLOW, shop_id=shop.id, shop_name=shop.name, tier=0, program=prog.to_dict())
    key = "cardprog.intro_edit" if saved else "cardprog.intro_new"
    await say(update, t(user.language, key, shop=h(shop.name)))
    return await show(update, context, user, "tiers")


# ------------------------------------------------------------------------------ presses


async def press(update: Update, context: Context) -> str | int | None:
    """Any button under the latest screen; a press on an older one has expired."""
    user = context.user
    lang = user.language
    query = update.callback_query
    assert query is not None
    d = draft(context, FLOW)
    pressed = CardProgButton.pressed(update)
    if query.message is None or query.message.message_id != d.get("screen") or "program" not in d:
        await expired(update, lang)
        return None
    shop = await shop_if_allowed(user.id, d["shop_id"], Permission.DESIGN_CARD)
    if shop is None:
        await answer(update)
        await show_menu(update, user, t(lang, "common.not_allowed"))
        return END
    prog = program(context)
    if isinstance(pressed, CardSave):
        return await save(update, context, user, shop, prog)
    section, toast = apply_press(pressed, prog, d)
    if section is None:
        await expired(update, lang)
        return None
    if toast:
        await answer(update, t(lang, toast), alert=True)
        return None
    await answer(update)
    keep(context, prog)
    if section.startswith("ask:"):
        return await ask(update, context, user, section.removeprefix("ask:"))
    return await show(update, context, user, section)


def apply_press(
    pressed: CardProgButton, prog: ProgramDraft, d: dict[str, Any]
) -> tuple[str | None, str | None]:
    """Change the draft for a press: (the screen to show next or "ask:<field>", a refusal to
    pop up instead). None for a press that names something no longer there."""
    index = min(d.get("tier", 0), len(prog.tiers) - 1)
    match pressed:
        case CardGo(section=section):
            return section, None
        case CardTier(index=i):
            if i >= len(prog.tiers):
                return None, None
            d["tier"] = i
            return "tier", None
        case CardAddTier():
            if len(prog.tiers) >= card_programs.MAX_TIERS:
                return None, "cardprog.too_many_tiers"
            top = prog.tiers[-1]
            used = {tier.colour for tier in prog.tiers}
            colour = next((c for c in PALETTE.values() if c not in used), top.colour)
            prog.tiers.append(
                TierDraft(
                    name=f"{top.name[:12]} +",
                    colour=colour,
                    points_per_unit=top.points_per_unit,
                    discount_percent=top.discount_percent,
                    threshold_spend_cents=max(top.threshold_spend_cents * 2, 100_000),
                )
            )
            d["tier"] = len(prog.tiers) - 1
            return "tier", None
        case CardAsk(field=field):
            return f"ask:{field}", None
        case CardColour(colour=name):
            prog.tiers[index].colour = PALETTE[name]
            return "tier", None
        case CardToggle(flag=flag):
            attribute = {
                "value": "stored_value",
                "name": "need_name",
                "phone": "need_phone",
                "birthday": "need_birthday",
                "requalify": "requalify_yearly",
            }[flag]
            setattr(prog, attribute, not getattr(prog, attribute))
            if flag == "value" and not prog.stored_value:
                prog.top_up_bonuses = []
                for tier in prog.tiers:
                    tier.threshold_topup_cents = None
            return {"value": "value", "requalify": "expiry"}.get(flag, "fields"), None
        case CardRemove(item="tier", index=i):
            if i >= len(prog.tiers):
                return None, None
            if len(prog.tiers) <= card_programs.MIN_TIERS:
                return None, "cardprog.too_few_tiers"
            del prog.tiers[i]
            prog.tiers[0].threshold_spend_cents = 0
            prog.tiers[0].threshold_topup_cents = None
            d["tier"] = max(0, i - 1)
            return "tiers", None
        case CardRemove(item="reward", index=i):
            if i >= len(prog.rewards):
                return None, None
            del prog.rewards[i]
            return "spend", None
        case CardRemove(item="bonus", index=i):
            if i >= len(prog.top_up_bonuses):
                return None, None
            del prog.top_up_bonuses[i]
            return "value", None
        case CardService(service_id=service_id):
            d["service_id"] = service_id
            return "ask:svcpoints", None
        case CardExpiry(months=months):
            if months > card_programs.MAX_EXPIRY_MONTHS:
                return None, None
            prog.points_expiry_months = months or None
            return "expiry", None
    return None, None


# ---------------------------------------------------------------------------- typed values


async def ask(update: Update, context: Context, user: User, field: str) -> str:
    d = draft(context, FLOW)
    d["asking"] = field
    params: dict[str, Any] = {"unit": format_price(100, deps(context).config)}
    if field == "svcpoints":
        service = await _service(d)
        if service is None:
            return await show(update, context, user, "spend")
        params["name"] = h(service.name)
    await say(update, t(user.language, f"cardprog.ask_{field}", **params))
    return INPUT


async def _service(d: dict[str, Any]) -> Any:
    services = await catalog.services_of(d["shop_id"], include_hidden=False)
    return next((s for s in services if s.id == d.get("service_id")), None)


async def typed(update: Update, context: Context) -> str:
    """A typed value for the field asked; a bad one is refused politely, nothing changes."""
    user = context.user
    lang = user.language
    d = draft(context, FLOW)
    field = d.get("asking")
    message = update.effective_message
    text = (message.text or "") if message is not None else ""
    if field is None:
        await say(update, t(lang, "cardprog.use_buttons"))
        return SCREEN
    prog = program(context)
    refusal = await apply_typed(field, text, prog, d)
    if refusal is not None:
        await say(update, t(lang, refusal[0], **refusal[1]))
        return INPUT
    keep(context, prog)
    return await show(update, context, user, FIELD_SECTION[field])


async def apply_typed(
    field: str, text: str, prog: ProgramDraft, d: dict[str, Any]
) -> tuple[str, dict[str, Any]] | None:
    """Put a typed value in the draft; or (refusal key, params) and the draft unchanged."""
    tier = prog.tiers[min(d.get("tier", 0), len(prog.tiers) - 1)]
    index = prog.tiers.index(tier)
    amount = parse_price(text, card_programs.MAX_CENTS // 100)
    whole = parse_whole(text.strip().removesuffix("%").removesuffix("％"))
    if field == "name":
        name = card_programs.clean_name(text)
        if name is None:
            return "cardprog.bad_name", {"max": card_programs.NAME_MAX}
        if any(
            other.name.casefold() == name.casefold() for other in prog.tiers if other is not tier
        ):
            return "cardprog.bad_name_twice", {"name": h(name)}
        tier.name = name
    elif field == "points":
        if whole is None or whole > card_programs.MAX_POINTS_PER_UNIT:
            return "cardprog.bad_points", {"max": card_programs.MAX_POINTS_PER_UNIT}
        tier.points_per_unit = whole
    elif field == "discount":
        if whole is None or whole > card_programs.MAX_DISCOUNT:
            return "cardprog.bad_discount", {"max": card_programs.MAX_DISCOUNT}
        tier.discount_percent = whole
    elif field in ("spend", "topup"):
        if index == 0:
            return "cardprog.bad_entry_threshold", {}
        if amount is None:
            return "cardprog.bad_amount", {}
        if field == "spend":
            if amount <= prog.tiers[index - 1].threshold_spend_cents:
                return "cardprog.bad_threshold_order", {"name": h(prog.tiers[index - 1].name)}
            tier.threshold_spend_cents = amount
        else:
            if amount and not prog.stored_value:
                return "cardprog.bad_topup_without_value", {}
            tier.threshold_topup_cents = amount or None
    elif field == "off":
        if whole is None or whole > card_programs.MAX_POINTS_PER_UNIT_OFF:
            return "cardprog.bad_whole", {"max": f"{card_programs.MAX_POINTS_PER_UNIT_OFF:,}"}
        prog.points_per_currency_unit_off = whole
    elif field == "minorder":
        if amount is None:
            return "cardprog.bad_amount", {}
        prog.min_order_cents = amount
    elif field == "maxpoints":
        if whole is None or whole > card_programs.MAX_POINTS:
            return "cardprog.bad_whole", {"max": f"{card_programs.MAX_POINTS:,}"}
        prog.max_points_per_order = whole
    elif field == "gift":
        match = _GIFT.match(ascii_digits(text).strip())
        points = parse_whole(match[2]) if match else None
        name = card_programs.clean_name(match[1], card_programs.REWARD_NAME_MAX) if match else None
        if name is None or not points or points > card_programs.MAX_POINTS:
            return "cardprog.bad_gift", {"max": card_programs.REWARD_NAME_MAX}
        prog.rewards.append(RewardDraft(name=name, points=points))
    elif field == "svcpoints":
        service = await _service(d)
        if service is None:
            return "cardprog.bad_service", {}
        if not whole or whole > card_programs.MAX_POINTS:
            return "cardprog.bad_reward_points", {"max": f"{card_programs.MAX_POINTS:,}"}
        name = service.name[: card_programs.REWARD_NAME_MAX]
        prog.rewards.append(RewardDraft(name=name, points=whole, service_id=service.id))
    elif field == "bonus":
        parts = [p for p in _PAIR.split(ascii_digits(text).strip()) if p]
        amounts = [parse_price(p, card_programs.MAX_CENTS // 100) for p in parts]
        if len(amounts) != 2 or None in amounts:
            return "cardprog.bad_bonus", {}
        top_up, bonus = amounts[0] or 0, amounts[1] or 0
        if not 0 < bonus <= top_up:
            return "cardprog.bad_bonus", {}
        prog.top_up_bonuses.append(BonusDraft(min_cents=top_up, bonus_cents=bonus))
        prog.top_up_bonuses.sort(key=lambda b: b.min_cents)
    elif field == "expiry":
        if not whole or whole > card_programs.MAX_EXPIRY_MONTHS:
            return "cardprog.bad_expiry", {"max": card_programs.MAX_EXPIRY_MONTHS}
        prog.points_expiry_months = whole
    return None


async def not_text(update: Update, context: Context) -> None:
    """A photo or sticker where a typed value or a button press is due."""
    key = "cardprog.expect_text" if draft(context, FLOW).get("asking") else "cardprog.use_buttons"
    await say(update, t(context.user.language, key))


# -------------------------------------------------------------------------------- saving


async def save(
    update: Update, context: Context, user: User, shop: Shop, prog: ProgramDraft
) -> str | int | None:
    lang = user.language
    query = update.callback_query
    assert query is not None
    try:
        await card_programs.save(shop.id, user.id, prog, clock.now())
    except ProgramError as error:
        await answer(update)
        await query.edit_message_reply_markup(None)
        if error.problems:
            await say(update, "\n".join(problem_text(lang, p) for p in error.problems))
        else:
            await say(update, t(lang, f"cardprog.save_{error.reason}"))
        return await show(update, context, user, "review")
    await answer(update, t(lang, "cardprog.saved_toast"))
    await query.edit_message_reply_markup(None)
    await show_menu(update, user, t(lang, "cardprog.saved", shop=h(shop.name)))
    return END


# ------------------------------------------------------------------------------- wiring


def register(app: Application, _deps: Deps) -> None:  # type: ignore[type-arg]
    buttons = CallbackQueryHandler(
        press,
        pattern=any_of(
            CardGo,
            CardTier,
            CardAddTier,
            CardAsk,
            CardColour,
            CardToggle,
            CardRemove,
            CardService,
            CardExpiry,
            CardSave,
        ),
    )
    add_flow(
        app,
        Flow(
            FLOW,
            entry_points=[
                CommandHandler("card", card_command),
                CallbackQueryHandler(shop_press, pattern=CardShop.pattern()),
            ],
            states={
                SCREEN: [
                    buttons,
                    MessageHandler(TEXT, typed),
                    MessageHandler(ANYTHING_ELSE, not_text),
                ],
                INPUT: [
                    buttons,
                    MessageHandler(TEXT, typed),
                    MessageHandler(ANYTHING_ELSE, not_text),
                ],
            },
            fallbacks=[*flow_fallbacks(), MessageHandler(MENU_LABELS, busy)],
            allow_reentry=True,
        ),
    )
