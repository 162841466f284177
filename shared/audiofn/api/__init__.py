"""The HTTP API: one resolver, one router per protocol. Routing and validation only."""
