"""Guided multi-step flows (ConversationHandlers), persisted across restarts."""
