"""validate-arm64: decide from evidence whether an ARM64 CI pipeline is ready for every push."""

__version__ = "0.1.0"
