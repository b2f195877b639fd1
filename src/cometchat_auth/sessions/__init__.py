"""Sessions: access and refresh tokens, and the CometChat token bound to each session."""
