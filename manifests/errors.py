"""The errors of the manifest services, shared with the rules table and the views."""


class TransitionError(Exception):
    """A refused transition, with a message for the user (and the form field it belongs to, if any)."""

    def __init__(self, message, field=None, errors=None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors = errors or {}


class AlreadyDone(Exception):
    """The idempotency key was used before: the first request's result stands."""

    def __init__(self, record):
        super().__init__(record.action)
        self.record = record
