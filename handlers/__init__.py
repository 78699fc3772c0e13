"""Service-task operators: one module per operator, found through `handlers.registry`."""
