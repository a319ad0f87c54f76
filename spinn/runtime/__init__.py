"""Per-rank runtime: communicator, build of the rank's state, the tick loop."""
