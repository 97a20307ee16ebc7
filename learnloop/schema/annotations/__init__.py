"""GraphQL types and root fields of the annotation workflow: tasks, expert annotations, stats."""
