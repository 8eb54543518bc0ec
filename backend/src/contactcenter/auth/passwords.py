"""Argon2id password hashing, off the event loop (each hash takes tens of milliseconds)."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP's Argon2id baseline (19 MiB, 2 passes, 1 lane); verification reads the parameters stored
# in each hash, so hashes made with other settings keep working
_hasher = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)
# at most two hashes at once: each takes its memory for tens of milliseconds, and an
# unauthenticated burst of logins must not exhaust the process
_slots = asyncio.Semaphore(2)
# verified when the e-mail is unknown, so that timing does not tell which accounts exist
_DUMMY_HASH = _hasher.hash("not-a-real-password-but-the-same-work")


async def hash_password(password: str) -> str:
    async with _slots:
        return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    def _verify() -> bool:
        try:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
        except (VerificationError, InvalidHashError):
            return False

    async with _slots:
        return await asyncio.to_thread(_verify)
