"""Presenters: how shops, coupons, reviews and pushes look in Telegram, shared by handlers,
flows and jobs. They import the toolkit and services, never handlers or flows."""
