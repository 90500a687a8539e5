"""The inventory and cost feed we send Amazon (846): pre-check, build and queue, on a schedule."""
