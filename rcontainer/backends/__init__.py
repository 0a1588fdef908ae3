"""Runtime families: each drives containers of its runtime classes behind ``Backend``."""
