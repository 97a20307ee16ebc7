"""GraphQL types and root fields of training runs, their review and deployment."""
