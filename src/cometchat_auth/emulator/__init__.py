"""A CometChat-compatible local server: users, auth tokens and the JS SDK's login calls.

It imports nothing else of cometchat-auth, so it can run beside or without the auth server.
"""

from .app import create_app
from .config import AppKeys, EmulatorConfig, Faults
from .runner import run
from .tls import ensure_certificate

__all__ = ["AppKeys", "EmulatorConfig", "Faults", "create_app", "ensure_certificate", "run"]
