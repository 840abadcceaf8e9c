"""`aztui demo`: a local Azurite (also the tests'), the sample data, and the command that joins them."""
