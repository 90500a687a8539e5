"""The console's page blueprints (server-rendered, read-only on GET, actions on POST)."""
