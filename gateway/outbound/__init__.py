"""Everything that leaves: envelopes with our control numbers, acknowledgements, the outbox, alerts."""
