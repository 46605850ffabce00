"""The HTTP server: legacy dialect routes, REST API, health."""
