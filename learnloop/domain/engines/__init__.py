"""Training engines: plain async classes (no database code), one per training type."""
