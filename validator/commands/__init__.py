"""The subcommands beside the main validation, grouped by what they need; ``cli`` registers them.

- ``offline``: look at files already on disk (binaries, test results); no token, no network.
- ``release``: read evidence written earlier (the release gate).
- ``emulated``: the built-in GitHub emulator (``demo``, ``emulator``).
"""
