"""learnloop: a GraphQL service that turns feedback on LLM agents' work into better agents."""

__version__ = "0.1.0"
