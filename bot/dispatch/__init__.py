"""Inbox → handler → outbox, and outbox → platform senders."""
