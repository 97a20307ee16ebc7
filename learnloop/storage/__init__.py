"""Persistence: tables, repositories, the org-scoped unit of work, job queue and event bus."""
