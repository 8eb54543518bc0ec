"""Input types shared by every domain's schemas: text that PostgreSQL can store."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL (\\u0000) characters")
    return value


CleanStr = Annotated[str, AfterValidator(_no_nul)]
