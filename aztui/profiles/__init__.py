"""Connection profiles: the four systems' vocabulary, reading one TOML table into a `Profile`,
the profiles file with its problems (file, line, key, did-you-mean), and writing profiles back."""
