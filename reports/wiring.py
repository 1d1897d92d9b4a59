"""Connect the reports to lower packages at start-up (the composition root calls connect())."""

from market.openapi import add_part
from reports import openapi


def connect() -> None:
    """The coverage API joins the open API's OpenAPI document."""
    add_part(openapi.part)
