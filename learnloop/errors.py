"""Errors a person can act on when the service cannot start (one line, no traceback)."""


class ConfigurationError(RuntimeError):
    """Raised for bad settings or an unreachable dependency; its message is the whole story."""
