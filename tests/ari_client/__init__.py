"""Wire-format unit tests for the ARI client, against fake ARI peers."""
