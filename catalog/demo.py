"""Demo data of the catalog package (idempotent)."""


def seed() -> None:
    """Load this package's demo data."""
