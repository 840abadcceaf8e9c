"""`aztui profiles test`: ordered checks of one profile, each with a verdict, a detail and a hint."""
