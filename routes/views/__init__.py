"""Route pages and their htmx fragments: thin views over routes.services, one module per page family."""
