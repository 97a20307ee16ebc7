"""Non-GraphQL HTTP routes: the GraphiQL page and its assets, metrics, the shared error envelope."""
