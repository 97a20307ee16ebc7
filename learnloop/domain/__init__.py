"""Business rules with no GraphQL and no SQL: roles, validation, state machines, statistics, engines."""
