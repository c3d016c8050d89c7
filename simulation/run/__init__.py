"""One run: `simulate` (a pure function of parameters and seed) and results on disk."""
