"""aztui test suite: unit/ (pure), integration/ (Azurite, local servers, CLI), ui/ (Textual Pilot)."""
