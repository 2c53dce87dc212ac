"""Telegram bot for small service merchants and their customers."""
