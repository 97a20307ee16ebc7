"""The training-run worker: claims runs, heartbeats their leases, runs engines, records outcomes."""
