"""The lifecycle engine: records, the state machine, plans and queries over the backends."""
