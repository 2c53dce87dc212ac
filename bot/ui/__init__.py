"""The shared Telegram toolkit: context helpers, flow plumbing, keyboards, command menus,
button-data codecs. Handlers and flows import it; it imports neither."""
