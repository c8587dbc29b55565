"""The embedded synthetic Estonian register: a causal simulation written in the real formats."""
