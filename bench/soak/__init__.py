"""`make soak`: isolation and recovery under load (see bench/soak/__main__.py)."""
