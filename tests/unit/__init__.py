"""Pure tests: no Azurite, no server, no app."""
