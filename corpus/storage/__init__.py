"""Keeping articles: one SQLite file per scope (the shared file and a file per guild), its schema and
migrations, the paragraph vectors beside the text, backups, and the votes on answers."""
