"""Security by default: rate limits, the client's IP behind proxies, headers, CSRF."""
