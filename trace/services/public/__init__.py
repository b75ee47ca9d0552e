"""Public: what the lookup pages read, and consumer feedback."""
