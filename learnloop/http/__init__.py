"""Non-GraphQL routes and middleware: GraphiQL, limits, metrics, error envelope, UI files."""
