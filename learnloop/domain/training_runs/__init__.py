"""Training runs: types, status machine and records (records), createTrainingRun (creation),
cancellation and the human review (reviews)."""
