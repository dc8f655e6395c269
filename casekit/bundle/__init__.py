"""The case bundle: formats, raw tables, validation and the in-memory Casebook."""
