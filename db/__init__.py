"""PostgreSQL adapter: versioned migrations, the store and the change listener."""
