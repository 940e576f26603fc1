"""Storage: SQLModel tables and engine setup (SQLite by default, PostgreSQL optional)."""
