"""Send through an SMTP server with aiosmtplib: STARTTLS or implicit TLS, optional login."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib


class SmtpSender:
    """One connection per mail: mails are rare, and a fresh connection survives server restarts."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = True,
        tls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        if starttls and tls:
            raise ValueError("choose STARTTLS or implicit TLS, not both")
        self.host = host
        self.port = port
        self._username = username
        self._password = password
        self._starttls = starttls
        self._tls = tls
        self._timeout = timeout

    async def probe(self) -> None:
        """Connect, EHLO, STARTTLS (when set) and log in (when set), then quit: sends nothing.

        Raises aiosmtplib's errors, or OSError when the server cannot be reached.
        """
        smtp = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            use_tls=self._tls,
            start_tls=False,
            timeout=self._timeout,
        )
        await smtp.connect()
        try:
            await smtp.ehlo()
            if self._starttls:
                await smtp.starttls()
            if self._username and self._password:
                await smtp.login(self._username, self._password)
        finally:
            smtp.close()

    async def send(self, message: EmailMessage) -> None:
        # STARTTLS is required when set, never opportunistic: a login must not go out in clear.
        await aiosmtplib.send(
            message,
            hostname=self.host,
            port=self.port,
            username=self._username,
            password=self._password,
            use_tls=self._tls,
            start_tls=self._starttls,
            timeout=self._timeout,
        )
