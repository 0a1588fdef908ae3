"""The bubblewrap runtime family: no daemon; a supervisor per container."""
