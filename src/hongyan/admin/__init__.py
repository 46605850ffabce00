"""Web console (operators) and partner portal."""
