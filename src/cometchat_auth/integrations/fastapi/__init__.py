"""CometChat in an existing FastAPI app: ``CometChatTokens`` and its router (see the README)."""

from cometchat_auth.chat_tokens import Principal
from cometchat_auth.integrations.fastapi.tokens import CometChatTokens

__all__ = ["CometChatTokens", "Principal"]
