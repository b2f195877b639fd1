"""cometchat-auth: sign people in to your app and hand them a CometChat auth token."""

__version__ = "0.1.0"
