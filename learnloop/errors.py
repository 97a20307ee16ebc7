"""Errors a person can act on when the service cannot start (one line, no traceback)."""


class ConfigurationError(RuntimeError):
    """Raised for bad settings or an unreachable dependency; its message is the whole story."""


# Seconds a client is told to wait (Retry-After, extensions.retryAfter) while the database is away.
RETRY_AFTER_SECONDS = 2
