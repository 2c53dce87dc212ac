"""Reviews in the chat: writing or editing one (stars, then optional text), which the shop's
owner is told about, the review list (verified first, five per page), and the owner's one
reply, which the reviewer is told about.

Button data: bot/ui/buttons/reviews.py (prefix `rv`): write, stars, a list page as a new message
or in place, reply."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    MessageHandler,
    filters,
)

from bot.formatting import format_rating, h, stars
from bot.i18n import t
from bot.models import Review, Shop
from bot.services.reviews import (
    STARS,
    ReviewError,
    ReviewPage,
    reply_to_review,
    replyable_review,
    review_of,
    reviewable_shop,
    reviews_page,
    write_review,
)
from bot.services.shops import public_shop
from bot.services.staff import Permission, allows
from bot.ui.base import Context, Deps, answer, deps, edit_in_place, expired, say
from bot.ui.buttons.reviews import (
    ReplyToReview,
    ReviewList,
    ReviewListPage,
    ReviewStars,
    WriteReview,
)
from bot.ui.callbacks import CallbackData, any_of
from bot.ui.flow import (
    CANCEL_LABEL,
    END,
    PLAIN_TEXT,
    SKIP_LABEL,
    Flow,
    add_flow,
    draft,
    flow_fallbacks,
    new_draft,
    show_menu,
)
from bot.ui.keyboards import any_label_pattern, choice_keyboard, inline
from bot.ui.text import Line, block, blocks, cut, fit, fit_html, shorten

log = logging.getLogger(__name__)

FLOW = "review"
ASK_STARS, ASK_TEXT, ASK_REPLY = "review.stars", "review.text", "review.reply"
KEEP_LABEL = filters.Regex(any_label_pattern(["review.keep_text"]))
NOT_CANCEL = ~filters.COMMAND & ~CANCEL_LABEL
# Long texts in the list give way (down to these lengths) so five reviews fit one message.
LIST_TEXT_MIN = 300
LIST_REPLY_MIN = 120
NAME_MAX = 32


def star_label(lang: str, n: int) -> str:
    return f"{stars(n)} {t(lang, f'review.stars_{n}')}"


def _state(context: Context) -> dict:
    return draft(context, FLOW)


# ------------------------------------------------------------------------------ writing


async def start_review(update: Update, context: Context) -> str | int:
    user = context.user
    lang = user.language
    shop_id = WriteReview.pressed(update).shop_id
    try:
        shop = await reviewable_shop(shop_id, user.id)
    except ReviewError as exc:
        await answer(update, t(lang, f"review.error_{exc.reason}"), alert=True)
        return END
    existing = await review_of(shop_id, user.id)
    new_draft(
        context,
        FLOW,
        shop_id=shop.id,
        shop=shop.name,
        old_text=existing.text if existing else "",
        edit=existing is not None,
    )
    await answer(update)
    text = t(lang, "review.ask_stars", shop=h(shop.name))
    if existing is not None:
        current = stars(existing.stars) + (f"\n{h(existing.text)}" if existing.text else "")
        text = t(lang, "review.current", review=current) + "\n\n" + text
    rows: list[list[tuple[str, CallbackData]]] = [
        [(star_label(lang, n), ReviewStars(stars=n))] for n in reversed(STARS)
    ]
    await say(update, text, reply_markup=inline(rows))
    return ASK_STARS


async def chose_stars(update: Update, context: Context) -> str | None:
    user = context.user
    lang = user.language
    query = update.callback_query
    assert query is not None
    n = ReviewStars.pressed(update).stars
    state = _state(context)
    if n not in STARS or "shop_id" not in state:
        await expired(update, lang)  # forged stars change nothing
        return None
    state["stars"] = n
    await answer(update)
    await edit_in_place(
        query,
        t(lang, "review.stars_chosen", shop=h(state["shop"]), stars=star_label(lang, n)),
        None,
    )
    max_len = deps(context).config.review_text_max
    text = t(lang, "review.ask_text", max=max_len)
    keep = []
    if state["old_text"]:
        text += "\n\n" + t(lang, "review.ask_text_keep", text=h(shorten(state["old_text"], 300)))
        keep = [t(lang, "review.keep_text")]
    await say(
        update,
        text,
        reply_markup=choice_keyboard(lang, keep, skip=True),
    )
    return ASK_TEXT


async def tap_stars(update: Update, context: Context) -> None:
    await say(update, t(context.user.language, "review.tap_stars"))


async def got_text(update: Update, context: Context) -> int | None:
    assert update.message is not None
    return await _save(update, context, update.message.text or "")


async def skip_text(update: Update, context: Context) -> int | None:
    return await _save(update, context, "")


async def keep_text(update: Update, context: Context) -> int | None:
    return await _save(update, context, _state(context).get("old_text", ""))


async def text_only(update: Update, context: Context) -> None:
    await say(update, t(context.user.language, "review.text_only"))


async def _save(update: Update, context: Context, text: str) -> int | None:
    user = context.user
    lang = user.language
    state = _state(context)
    max_len = deps(context).config.review_text_max
    if "stars" not in state:  # a draft lost to an old version: start over cleanly
        await show_menu(update, user, t(lang, "common.button_expired"))
        return END
    try:
        result = await write_review(
            state["shop_id"], user.id, state["stars"], text, text_max=max_len
        )
    except ReviewError as exc:
        if exc.reason == "too_long":
            await say(update, t(lang, "review.too_long", max=max_len, length=len(text.strip())))
            return None
        await show_menu(update, user, t(lang, f"review.error_{exc.reason}"))
        return END
    key = "review.saved" if result.created else "review.updated"
    shop = h(state["shop"])
    await show_menu(update, user, t(lang, key, shop=shop, stars=stars(result.review.stars)))
    await notify_owner(context, result.review, created=result.created)
    return END


async def notify_owner(context: Context, review: Review, *, created: bool) -> None:
    """Tell the shop's owner, in their language, that a review arrived or changed, with a
    button to answer it (or, once answered, to read the reviews)."""
    await review.fetch_related("shop__owner", "user")
    shop, owner = review.shop, review.shop.owner
    lang = owner.language
    author = shorten(review.user.first_name, NAME_MAX)
    key = "walk.review_new" if created else "walk.review_edited"
    head = t(lang, key, shop=h(shop.name), name=h(author), stars=stars(review.stars))
    if review.verified:
        head += f" · {t(lang, 'review.verified')}"
    lines = [head]
    if review.text:
        lines += ["", f"<i>{h(review.text)}</i>"]
    rows: list[list[tuple[str, CallbackData]]] = []
    if review.reply is None:
        lines += ["", t(lang, "walk.review_answer_hint")]
        answer_it = ReplyToReview(review_id=review.id)
        rows.append([(t(lang, "review.reply_button", name=author), answer_it)])
    listed = ReviewList(shop_id=shop.id, page=0)
    rows.append([(t(lang, "review.list_button", count=shop.rating_count), listed)])
    try:
        await context.bot.send_message(
            owner.id, fit_html("\n".join(lines)), reply_markup=inline(rows)
        )
    except (Forbidden, BadRequest) as exc:  # blocked the bot, or never started it
        log.info("review notice to owner %s not delivered: %s", owner.id, exc)


# ------------------------------------------------------------------------------- replies


async def start_reply(update: Update, context: Context) -> str | int:
    user = context.user
    lang = user.language
    review_id = ReplyToReview.pressed(update).review_id
    try:
        review = await replyable_review(review_id, user.id)
    except ReviewError as exc:
        await answer(update, t(lang, f"review.error_{exc.reason}"), alert=True)
        return END
    await review.fetch_related("user")
    new_draft(context, FLOW, reply_to=review.id)
    await answer(update)
    quoted = stars(review.stars) + (f"\n{h(shorten(review.text, 300))}" if review.text else "")
    await say(
        update,
        t(lang, "review.ask_reply", name=h(review.user.first_name), review=quoted),
        reply_markup=choice_keyboard(lang, []),
    )
    return ASK_REPLY


async def got_reply(update: Update, context: Context) -> int | None:
    user = context.user
    lang = user.language
    assert update.message is not None
    text = update.message.text or ""
    review_id = _state(context).get("reply_to")
    max_len = deps(context).config.review_text_max
    if review_id is None:
        await show_menu(update, user, t(lang, "common.button_expired"))
        return END
    try:
        review = await reply_to_review(review_id, user.id, text, text_max=max_len)
    except ReviewError as exc:
        if exc.reason == "too_long":
            await say(update, t(lang, "review.too_long", max=max_len, length=len(text.strip())))
            return None
        await show_menu(update, user, t(lang, f"review.error_{exc.reason}"))
        return END
    await review.fetch_related("user", "shop")
    await show_menu(update, user, t(lang, "review.reply_posted", name=h(review.user.first_name)))
    await notify_reviewer(context, review)
    return END


async def reply_text_only(update: Update, context: Context) -> None:
    await say(update, t(context.user.language, "review.reply_text_only"))


async def notify_reviewer(context: Context, review: Review) -> None:
    """Tell the reviewer the shop answered; a blocked bot is not the owner's problem."""
    reviewer, shop = review.user, review.shop
    lang = reviewer.language
    try:
        await context.bot.send_message(
            reviewer.id,
            fit_html(
                t(
                    lang,
                    "review.reply_notice",
                    shop=h(shop.name),
                    stars=stars(review.stars),
                    reply=h(review.reply or ""),
                )
            ),
            reply_markup=inline(
                [[(t(lang, "review.see_reviews"), ReviewList(shop_id=shop.id, page=0))]]
            ),
        )
    except (Forbidden, BadRequest) as exc:
        log.info("reply notice to %s not delivered: %s", reviewer.id, exc)


# ---------------------------------------------------------------------------------- list


def reviews_text(lang: str, shop: Shop, page: ReviewPage) -> str:
    """The list as HTML: header with the average, then each review with its reply; long texts
    are shortened so that the page's reviews always fit one message."""
    rating = format_rating(shop.rating_sum, shop.rating_count)
    lines = [t(lang, "review.list_title", shop=h(shop.name))]
    if not page.total:
        return "\n".join([*lines, "", t(lang, "review.none_yet")])
    lines.append(f"{rating} · {t(lang, 'review.page', page=page.page + 1, pages=page.pages)}")
    parts = blocks(lines)
    zone = ZoneInfo(shop.timezone)
    for entry in page.entries:
        head = stars(entry.stars)
        if entry.verified:
            head += f" · {t(lang, 'review.verified')}"
        review: list[Line | str] = ["", head]
        if entry.text:
            review.append(cut(entry.text, LIST_TEXT_MIN))
        when = entry.updated_at.astimezone(zone).strftime("%Y-%m-%d")
        review.append(f"<i>— {h(shorten(entry.author, NAME_MAX))} · {when}</i>")
        if entry.reply:
            label = f"💬 {t(lang, 'review.owner_reply')}: "
            review.append(cut(entry.reply, LIST_REPLY_MIN, markup=label))
        parts.append(block(*review))
    return fit(parts).html


def reviews_markup(
    lang: str, shop_id: int, page: ReviewPage, *, owner: bool
) -> InlineKeyboardMarkup | None:
    """Reply buttons for the owner on unanswered reviews, then previous / next (or None)."""
    rows: list[list[tuple[str, CallbackData]]] = []
    if owner:
        rows += [
            [
                (
                    t(lang, "review.reply_button", name=shorten(e.author, NAME_MAX)),
                    ReplyToReview(review_id=e.id),
                )
            ]
            for e in page.entries
            if e.reply is None
        ]
    nav: list[tuple[str, CallbackData]] = []
    if page.has_prev:
        nav.append((t(lang, "results.prev"), ReviewListPage(shop_id=shop_id, page=page.page - 1)))
    if page.has_next:
        nav.append((t(lang, "results.next"), ReviewListPage(shop_id=shop_id, page=page.page + 1)))
    if nav:
        rows.append(nav)
    return inline(rows) if rows else None


async def show_reviews(update: Update, context: Context) -> None:
    user = context.user
    lang = user.language
    query = update.callback_query
    assert query is not None
    pressed = ReviewList.unpack(query.data) or ReviewListPage.pressed(update)
    shop_id, number = pressed.shop_id, pressed.page
    shop = await public_shop(shop_id)
    if shop is None:
        await answer(update, t(lang, "shop.unavailable"), alert=True)
        return
    page = await reviews_page(shop_id, number)
    if number and not page.entries:  # a page that no longer exists
        await expired(update, lang)
        return
    await answer(update)
    text = reviews_text(lang, shop, page)
    replier = await allows(user.id, shop_id, Permission.REPLY_REVIEWS)
    markup = reviews_markup(lang, shop_id, page, owner=replier)
    if isinstance(pressed, ReviewList):
        await say(update, text, reply_markup=markup)
    else:
        await edit_in_place(query, text, markup)


def register(app: Application, deps: Deps) -> None:  # type: ignore[type-arg]
    add_flow(
        app,
        Flow(
            FLOW,
            entry_points=[
                CallbackQueryHandler(start_review, pattern=WriteReview.pattern()),
                CallbackQueryHandler(start_reply, pattern=ReplyToReview.pattern()),
            ],
            states={
                ASK_STARS: [
                    CallbackQueryHandler(chose_stars, pattern=ReviewStars.pattern()),
                    MessageHandler(NOT_CANCEL, tap_stars),
                ],
                ASK_TEXT: [
                    MessageHandler(SKIP_LABEL, skip_text),
                    MessageHandler(KEEP_LABEL, keep_text),
                    MessageHandler(PLAIN_TEXT, got_text),
                    MessageHandler(NOT_CANCEL, text_only),
                ],
                ASK_REPLY: [
                    MessageHandler(PLAIN_TEXT, got_reply),
                    MessageHandler(NOT_CANCEL, reply_text_only),
                ],
            },
            fallbacks=flow_fallbacks(),
            allow_reentry=True,
        ),
    )
    app.add_handler(CallbackQueryHandler(show_reviews, pattern=any_of(ReviewList, ReviewListPage)))
