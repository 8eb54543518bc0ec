"""Versioned system prompts: ``prompts/<id>/v<N>.md``. A change of wording is a new file, so
every stored outcome names the exact prompt (id, version and content hash) that produced it."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

_VERSION_FILE = re.compile(r"^v(\d+)\.md$")


class PromptNotFound(LookupError):
    pass


@dataclass(frozen=True)
class Prompt:
    id: str
    version: str  # "v1"
    template: str
    sha256: str

    def render(self, **values: str) -> str:
        return self.template.format(**values)


@cache
def load_prompt(prompt_id: str, version: str | None = None) -> Prompt:
    """The given version, or the newest one."""
    folder = resources.files(__package__).joinpath(prompt_id)
    if not folder.is_dir():
        raise PromptNotFound(f"no prompt '{prompt_id}'")
    versions = {
        int(m.group(1)): entry
        for entry in folder.iterdir()
        if (m := _VERSION_FILE.match(entry.name)) is not None
    }
    if not versions:
        raise PromptNotFound(f"prompt '{prompt_id}' has no versions")
    number = int(version.lstrip("v")) if version else max(versions)
    if number not in versions:
        raise PromptNotFound(f"prompt '{prompt_id}' has no version v{number}")
    text = versions[number].read_text(encoding="utf-8")
    return Prompt(
        id=prompt_id,
        version=f"v{number}",
        template=text,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
    )
