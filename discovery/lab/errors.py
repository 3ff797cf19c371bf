"""The lab's one exception type."""


class LabError(RuntimeError):
    """The lab cannot be brought up or found; the message says what to do."""
