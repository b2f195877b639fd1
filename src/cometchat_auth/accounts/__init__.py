"""App accounts: emails, passwords, and keeping the CometChat user in step. No HTTP here."""
