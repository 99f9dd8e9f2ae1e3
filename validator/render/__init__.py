"""Renderers: each turns a Report into a string, and does no I/O."""
