"""The per-session CometChat token: mint, seal at rest, rotate, end, flush.

One core for every door: the standalone server keys tokens by its own session ids, the
identity exchange and the FastAPI plug-in by a key of the caller's choosing.
"""

from cometchat_auth.chat_tokens.principal import Principal
from cometchat_auth.chat_tokens.service import ChatTokens
from cometchat_auth.chat_tokens.slots import Slots, chat_sessions_table

__all__ = ["ChatTokens", "Principal", "Slots", "chat_sessions_table"]
