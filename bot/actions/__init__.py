"""Card click handlers, one module per card kind."""
