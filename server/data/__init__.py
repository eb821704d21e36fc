"""Versioned legal data (roles, meeting types, deadlines, wording rules) per jurisdiction."""
