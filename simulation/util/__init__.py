"""The ground floor: helpers with no knowledge of the model (safe writing of results, progress)."""
