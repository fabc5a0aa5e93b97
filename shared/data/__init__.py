"""Reference data the kit ships: code lists with their sources (see each file's header)."""
