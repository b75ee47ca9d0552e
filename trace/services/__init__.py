"""All rules and state changes. Services take a session first, flush, never commit."""
