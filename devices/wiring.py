"""Connect the device platform to lower packages at start-up (the composition root calls connect())."""

from devices import openapi
from market.openapi import add_part


def connect() -> None:
    """The device API's operations, schemas and bearer scheme join the open API's OpenAPI document."""
    add_part(openapi.part)
