"""Rate limits per client IP and per account (the HTTP-side guards live in ``api/``)."""
