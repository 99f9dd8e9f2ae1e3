"""Gatherers: each phase does the I/O for one part of the evidence."""
