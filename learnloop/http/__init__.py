"""Routes and middleware that are not GraphQL: GraphiQL, limits, metrics, the error envelope."""
