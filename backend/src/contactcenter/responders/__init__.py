"""Responders: a customer reply composed from retrieved passages, with numbered citations.

`OfflineResponder` is the embedded default: no LLM, the reply quotes passage sentences verbatim.
"""

from contactcenter.responders.offline import Citation, GroundedAnswer, OfflineResponder

__all__ = ["Citation", "GroundedAnswer", "OfflineResponder"]
