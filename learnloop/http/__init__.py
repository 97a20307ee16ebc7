"""Routes and middleware that are not GraphQL: request limits, exports, downloads, health."""
