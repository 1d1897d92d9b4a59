"""Demo data of the registry package (idempotent)."""


def seed() -> None:
    """Load this package's demo data."""
