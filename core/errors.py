"""Typed domain errors; each carries the short Chinese sentence the person who caused it is shown."""

from __future__ import annotations


class DomainError(Exception):
    """A rule said no. ``message`` is for people (Chinese, short); nothing was changed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownUser(DomainError):
    """The sender is not in the configured organisation."""

    def __init__(self, person_id: str) -> None:
        super().__init__(f"您({person_id})还不在 Kesu 的人员名单里,请联系管理员添加。")
        self.person_id = person_id


class NotFound(DomainError):
    """The form or card referred to does not exist."""


class NotAllowed(DomainError):
    """The person lacks the role or is not the assignee of this step."""


class StaleCard(DomainError):
    """The card is no longer current: someone already acted on it."""


class MissingFields(DomainError):
    """Required fields are missing or invalid."""

    def __init__(self, message: str, fields: tuple[str, ...]) -> None:
        super().__init__(message)
        self.fields = fields


class ConcurrentUpdate(Exception):
    """Another transaction changed the same row first (optimistic lock); the caller retries once."""
