"""nura-users: one normalized users table kept by the database itself."""
