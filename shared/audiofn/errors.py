"""Domain errors. Each maps to one HTTP status in the API, and to a reason in a failed job."""

from __future__ import annotations


class AudiofnError(Exception):
    """Base class: a message safe to show to the caller."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def to_body(self) -> dict[str, object]:
        body: dict[str, object] = {"message": self.message}
        if self.field:
            body["field"] = self.field
        return body


class InvalidInput(AudiofnError):
    """The request is well-formed JSON but a value is wrong; `field` names it."""

    status_code = 400


class Unauthorized(AudiofnError):
    status_code = 401


class Forbidden(AudiofnError):
    status_code = 403


class NotFound(AudiofnError):
    """Absent, or owned by another organisation: the two are indistinguishable on purpose."""

    status_code = 404


class Conflict(AudiofnError):
    status_code = 409


class TooManyRequests(AudiofnError):
    """A rate or quota is used up; ``retry_after`` says in how many seconds to try again."""

    status_code = 429

    def __init__(self, message: str, *, retry_after: int, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.retry_after = max(1, int(retry_after))


class JobFailed(AudiofnError):
    """Asynchronous work ended in failure; the message carries the recorded reason."""

    status_code = 422


class ServiceUnavailable(AudiofnError):
    """An engine or upstream is unavailable; the request may succeed later."""

    status_code = 503


class ConfigError(RuntimeError):
    """The function's environment is incomplete; raised once at cold start."""
