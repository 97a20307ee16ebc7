"""Feedback: records and groups (records), the rules one submission meets (validation), and
storing opinions with their idempotency and the examples corrections make (submission)."""
