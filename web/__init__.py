"""The HTTP adapter: the REST API (/api) and the web console, over the same services as the CLI."""
