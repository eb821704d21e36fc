"""Security tests: least privilege, bounded requests, races, logs, sessions and the API contract (issue 18)."""
