"""Recording: spikes and sampled state out of the tick loop, SONATA files, provenance."""
