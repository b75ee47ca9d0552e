"""Organizations: organizations, users, tokens and who may do what."""
