"""Storage: one interface of domain verbs (``base.Store``), SQLite and PostgreSQL behind it."""
