"""Verification and reset end to end: the server, the emulator and a real SMTP server (aiosmtpd).

Every link is read from the mail that arrived, as a person would.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from cometchat_auth.accounts import email_tokens
from cometchat_auth.accounts.email_tokens import EmailTokenRow
from cometchat_auth.accounts.passwords import Passwords
from cometchat_auth.mail import MAIL_SEND
from cometchat_auth.outbox.queries import list_jobs
from cometchat_auth.sessions.tokens import hash_token
from cometchat_auth.store import UserRow, open_database
from tests.support.auth_server import PASSWORD, bearer, new_email, register
from tests.support.emulator_view import emulator_user, token_works
from tests.support.outbox import without_jobs
from tests.support.servers import free_port
from tests.support.smtp import Inbox, link_in, smtp_server, text_of
from tests.support.waiting import eventually

NEW_PASSWORD = "a brand new passphrase"

Server = Callable[..., AbstractContextManager[str]]


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def inbox(smtp: tuple[Inbox, int]) -> Inbox:
    return smtp[0]


@pytest.fixture
def mailing(make_server: Server, smtp: tuple[Inbox, int]) -> Server:
    """Start a server that sends its mail through this test's SMTP server."""

    def start(**overrides: Any) -> AbstractContextManager[str]:
        values: dict[str, Any] = {
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp[1],
            "smtp_starttls": False,
            "mail_from": "no-reply@chat.example",
            "app_name": "Chat Example",
        }
        return make_server(**(values | overrides))

    return start


@pytest.fixture
def http(mailing: Server) -> Iterator[httpx.Client]:
    with mailing() as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def mailed_token(inbox: Inbox, path: str, count: int = 1) -> str:
    """The token of the ``count``-th mail, once it arrived; it must link to ``path``."""
    message = inbox.wait_for(count)[count - 1]
    return token_of(link_in(message, path))


def error_code(answer: httpx.Response) -> str:
    code: str = answer.json()["error"]["code"]
    return code


def forgot(http: httpx.Client, email: str) -> httpx.Response:
    answer = http.post("/auth/password/forgot", json={"email": email})
    assert answer.status_code == 202, answer.text
    return answer


def login(http: httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
    return http.post("/auth/login", json={"email": email, "password": password})


def test_verification_flow(http: httpx.Client, inbox: Inbox) -> None:
    account = register(http, name="Ann <b>Example</b>")
    assert account["user"]["emailVerified"] is False
    email = account["user"]["email"]

    answer = http.post("/auth/verify/request", json={"email": email})
    assert answer.status_code == 202

    (message,) = inbox.wait_for(1)
    assert message["To"] == email
    assert message["Subject"] == "Confirm your email for Chat Example"
    html = message.get_body(("html",))
    assert html is not None
    assert "Ann" not in html.get_content()  # an unconfirmed address: no name
    token = token_of(link_in(message, "/verify"))

    verified = http.post("/auth/verify", json={"token": token})
    assert verified.status_code == 200, verified.text
    assert verified.json()["emailVerified"] is True
    assert http.get("/auth/me", headers=bearer(account)).json()["emailVerified"] is True

    again = http.post("/auth/verify", json={"token": token})
    assert (again.status_code, error_code(again)) == (400, "EMAIL_TOKEN_USED")


def test_reset_flow(http: httpx.Client, inbox: Inbox, emulator_url: str) -> None:
    first = register(http)
    email, uid = first["user"]["email"], first["user"]["id"]
    second = login(http, email).json()
    assert token_works(emulator_url, first["authToken"])

    forgot(http, email)
    token = mailed_token(inbox, "/reset")
    answer = http.post("/auth/password/reset", json={"token": token, "password": NEW_PASSWORD})
    assert answer.status_code == 204, answer.text

    for session in (first, second):
        assert http.get("/auth/me", headers=bearer(session)).status_code == 401
        refreshed = http.post("/auth/refresh", json={"refreshToken": session["refreshToken"]})
        assert refreshed.status_code == 401
        assert not token_works(emulator_url, session["authToken"])
    cometchat_user = emulator_user(emulator_url, uid)
    assert cometchat_user is not None
    assert cometchat_user["authTokens"] == []

    assert error_code(login(http, email)) == "INVALID_CREDENTIALS"
    signed_in = login(http, email, NEW_PASSWORD)
    assert signed_in.status_code == 200
    assert token_works(emulator_url, signed_in.json()["authToken"])
    # The mail reached its owner: the address is proven too.
    assert signed_in.json()["user"]["emailVerified"] is True

    used = http.post("/auth/password/reset", json={"token": token, "password": "yet another one!"})
    assert (used.status_code, error_code(used)) == (400, "EMAIL_TOKEN_USED")


def test_reset_hashes_before_it_uses_the_token(
    http: httpx.Client, inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    email = register(http)["user"]["email"]
    forgot(http, email)
    token = mailed_token(inbox, "/reset")
    steps: list[str] = []
    real_hash, real_consume = Passwords.hash, email_tokens.consume

    async def hash(self: Passwords, password: str) -> str:
        steps.append("hash")
        return await real_hash(self, password)

    async def consume(*args: Any) -> UserRow:
        steps.append("consume")
        return await real_consume(*args)

    monkeypatch.setattr(Passwords, "hash", hash)
    monkeypatch.setattr(email_tokens, "consume", consume)

    weak = http.post("/auth/password/reset", json={"token": token, "password": "password"})
    assert (weak.status_code, error_code(weak)) == (422, "WEAK_PASSWORD")
    answer = http.post("/auth/password/reset", json={"token": token, "password": NEW_PASSWORD})
    assert answer.status_code == 204, answer.text  # the refused password did not use the token
    # argon2 ran before the first write: SQLite's one write lock is not held while it works.
    assert steps == ["hash", "consume"]
    assert login(http, email, NEW_PASSWORD).status_code == 200


def test_a_completed_reset_lifts_the_lockout(mailing: Server, inbox: Inbox) -> None:
    with (
        mailing(lockout_threshold=2, lockout_base_delay=600) as url,
        httpx.Client(base_url=url, timeout=30) as http,
    ):
        email = register(http)["user"]["email"]
        for _ in range(2):
            assert error_code(login(http, email, "not the password")) == "INVALID_CREDENTIALS"
        assert error_code(login(http, email)) == "INVALID_CREDENTIALS"  # locked for 10 minutes
        forgot(http, email)
        token = mailed_token(inbox, "/reset")
        answer = http.post("/auth/password/reset", json={"token": token, "password": NEW_PASSWORD})
        assert answer.status_code == 204, answer.text
        assert login(http, email, NEW_PASSWORD).status_code == 200


def token_stored(database_url: str, token: str) -> bool:
    async def look() -> bool:
        async with open_database(database_url) as database, database.sessionmaker() as db:
            return await db.get(EmailTokenRow, hash_token(token)) is not None

    return asyncio.run(look())


def test_the_periodic_sweep_deletes_used_tokens(
    mailing: Server, inbox: Inbox, database_url: str
) -> None:
    with mailing(session_sweep_interval=0.2) as url, httpx.Client(base_url=url, timeout=30) as http:
        email = register(http)["user"]["email"]
        forgot(http, email)
        token = mailed_token(inbox, "/reset")
        answer = http.post("/auth/password/reset", json={"token": token, "password": NEW_PASSWORD})
        assert answer.status_code == 204, answer.text
        eventually(lambda: not token_stored(database_url, token))


def test_an_expired_token_is_refused(mailing: Server, inbox: Inbox) -> None:
    with mailing(reset_token_ttl=0.001) as url, httpx.Client(base_url=url, timeout=30) as http:
        email = register(http)["user"]["email"]
        forgot(http, email)
        token = mailed_token(inbox, "/reset")
        answer = http.post("/auth/password/reset", json={"token": token, "password": NEW_PASSWORD})
        assert (answer.status_code, error_code(answer)) == (400, "EMAIL_TOKEN_EXPIRED")
        assert login(http, email).status_code == 200


def test_a_token_mailed_before_a_password_change_is_refused(
    http: httpx.Client, inbox: Inbox
) -> None:
    account = register(http)
    forgot(http, account["user"]["email"])
    token = mailed_token(inbox, "/reset")
    changed = http.post(
        "/auth/password",
        headers=bearer(account),
        json={"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD},
    )
    assert changed.status_code == 204

    answer = http.post("/auth/password/reset", json={"token": token, "password": "third one!!"})
    assert (answer.status_code, error_code(answer)) == (400, "EMAIL_TOKEN_OUTDATED")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/auth/verify", {"token": "x" * 43}),
        ("/auth/password/reset", {"token": "x" * 43, "password": NEW_PASSWORD}),
    ],
)
def test_an_unknown_token_is_invalid(http: httpx.Client, path: str, body: dict[str, str]) -> None:
    answer = http.post(path, json=body)
    assert (answer.status_code, error_code(answer)) == (400, "EMAIL_TOKEN_INVALID")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/auth/verify", {}),
        ("/auth/verify", {"token": "short"}),
        ("/auth/verify", {"token": "x" * 43, "extra": 1}),
        ("/auth/password/reset", {"token": "x" * 43, "password": "short"}),
        ("/auth/password/forgot", {"email": "not an address"}),
        ("/auth/verify/request", {"email": ["a@example.com"]}),
    ],
)
def test_bad_bodies_get_a_clear_422(http: httpx.Client, path: str, body: dict[str, Any]) -> None:
    answer = http.post(path, json=body)
    assert (answer.status_code, error_code(answer)) == (422, "VALIDATION_ERROR")


def test_forgot_password_answers_alike_for_unknown_and_known_emails(
    http: httpx.Client, inbox: Inbox
) -> None:
    known = register(http)["user"]["email"]
    unknown = forgot(http, new_email())
    answered = forgot(http, known)

    assert unknown.content == answered.content
    assert unknown.status_code == answered.status_code == 202
    # Each answer has its own date and request id; every other header is the same.
    own = {"date", "x-request-id"}
    same_headers = {name: value for name, value in unknown.headers.items() if name not in own}
    assert same_headers == {
        name: value for name, value in answered.headers.items() if name not in own
    }
    # The known address gets its mail; the unknown one got nothing.
    (message,) = inbox.wait_for(1)
    assert message["To"] == known
    assert len(inbox.messages) == 1


def failed_mail_attempts(database_url: str) -> bool:
    """Whether a queued mail has failed to go out at least once (as ``outbox list`` shows)."""

    async def look() -> bool:
        async with open_database(database_url) as database, database.sessionmaker() as db:
            jobs = await list_jobs(db)
        return any(job.kind == MAIL_SEND and job.last_error for job in jobs)

    return asyncio.run(look())


def test_a_mail_waits_out_an_smtp_outage(mailing: Server, database_url: str) -> None:
    port = free_port()  # nothing listens here yet: SMTP is down
    with mailing(smtp_port=port) as url, httpx.Client(base_url=url, timeout=30) as http:
        email = register(http)["user"]["email"]
        assert forgot(http, email).status_code == 202
        eventually(lambda: failed_mail_attempts(database_url))
        with smtp_server(port=port) as (inbox, _):
            (message,) = inbox.wait_for(1, timeout=60)
        assert message["To"] == email
        token = token_of(link_in(message, "/reset"))
        answer = http.post("/auth/password/reset", json={"token": token, "password": NEW_PASSWORD})
        assert answer.status_code == 204


def test_pages_a_mail_links_to_leak_no_referrer(http: httpx.Client) -> None:
    for path in ("/reset?token=abc", "/verify?token=abc"):
        page = http.get(path)
        assert page.status_code == 200
        assert page.headers["referrer-policy"] == "no-referrer"
        assert page.headers["content-type"].startswith("text/html")
        assert "<script" in page.text
        assert "token" not in page.text.split("<script", 1)[1].split(">", 1)[0]


def test_verified_email_required_for_chat(mailing: Server, inbox: Inbox, emulator_url: str) -> None:
    with (
        mailing(require_verified_email_for_chat=True) as url,
        httpx.Client(base_url=url, timeout=30) as http,
    ):
        email = new_email()
        registered = http.post(
            "/auth/register", json={"email": email, "password": PASSWORD, "name": "Ann"}
        )
        assert registered.status_code == 201
        assert registered.json()["authToken"] is None
        assert registered.json()["cometchat"]["status"] == "email_not_verified"

        signed_in = login(http, email).json()
        assert signed_in["authToken"] is None
        assert signed_in["cometchat"]["status"] == "email_not_verified"
        assert http.get("/auth/me", headers=bearer(signed_in)).status_code == 200
        refused = http.post("/cometchat/token", headers=bearer(signed_in))
        assert (refused.status_code, error_code(refused)) == (403, "EMAIL_NOT_VERIFIED")
        refreshed = http.post("/auth/refresh", json={"refreshToken": signed_in["refreshToken"]})
        assert refreshed.json()["authToken"] is None

        # Registration mailed the link already.
        token = mailed_token(inbox, "/verify")
        assert http.post("/auth/verify", json={"token": token}).status_code == 200

        minted = http.post("/cometchat/token", headers=bearer(signed_in))
        assert minted.status_code == 200
        assert token_works(emulator_url, minted.json()["authToken"])


def test_private_registration_mails_instead_of_telling(mailing: Server, inbox: Inbox) -> None:
    with (
        mailing(registration_mode="private") as url,
        httpx.Client(base_url=url, timeout=30) as http,
    ):
        taken, fresh = new_email(), new_email()
        body = {"password": PASSWORD, "name": "Ann"}
        first = http.post("/auth/register", json={"email": taken, **body})
        welcome = inbox.wait_for(1)[0]
        assert welcome["To"] == taken
        token = token_of(link_in(welcome, "/verify"))
        assert http.post("/auth/verify", json={"token": token}).status_code == 200

        again = http.post("/auth/register", json={"email": taken, **body})
        new = http.post("/auth/register", json={"email": fresh, **body})
        assert first.content == again.content == new.content
        assert first.status_code == again.status_code == new.status_code == 202

        by_recipient = {message["To"]: message for message in inbox.wait_for(3)[1:]}
        assert by_recipient[taken]["Subject"].startswith("Someone tried to register")
        assert link_in(by_recipient[fresh], "/verify")


def test_mail_requests_are_rate_limited_per_address(mailing: Server, inbox: Inbox) -> None:
    with (
        mailing(rate_limit_reset_account="2/minute") as url,
        httpx.Client(base_url=url, timeout=30) as http,
    ):
        email = register(http)["user"]["email"]
        forgot(http, email)
        forgot(http, email)
        limited = http.post("/auth/password/forgot", json={"email": email})
        assert (limited.status_code, error_code(limited)) == (429, "RATE_LIMITED")
        assert int(limited.headers["retry-after"]) >= 1
        # Another address is another account: not limited.
        assert forgot(http, new_email()).status_code == 202


class Statements:
    """Every SQL statement and commit of this process's engines while the block runs."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.seen.append(" ".join(statement.split()[:3]).upper())

    def _commit(self, _conn: Any) -> None:
        self.seen.append("COMMIT")

    def __enter__(self) -> Statements:
        event.listen(Engine, "before_cursor_execute", self._statement)
        event.listen(Engine, "commit", self._commit)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(Engine, "before_cursor_execute", self._statement)
        event.remove(Engine, "commit", self._commit)

    def writes(self) -> list[str]:
        """The writes, but for a known account's token row and the worker's claims and lease
        beats (a real mail takes longer to send, later and apart from the answer)."""
        return [
            s
            for s in self.seen
            if s.startswith(("INSERT", "UPDATE", "DELETE"))
            and "EMAIL_TOKENS" not in s
            and s != "UPDATE OUTBOX_JOBS SET"
        ]


async def _no_jobs_left_over(database_url: str) -> None:
    async with without_jobs(database_url):
        pass


def _outbox_empty(database_url: str) -> bool:
    async def look() -> bool:
        async with open_database(database_url) as database, database.sessionmaker() as db:
            return not await list_jobs(db)

    return asyncio.run(look())


@pytest.mark.parametrize("path", ["/auth/password/forgot", "/auth/verify/request"])
def test_asking_about_a_known_or_unknown_address_does_the_same_database_work(
    http: httpx.Client, inbox: Inbox, database_url: str, path: str
) -> None:
    # A follow-up request told them apart by the work done after the answer (2-4 ms).
    known = register(http)["user"]["email"]
    asyncio.run(_no_jobs_left_over(database_url))  # others' jobs would add to the trace
    traces = {}
    for name, email in (("unknown", new_email()), ("known", known)):
        with Statements() as statements:
            assert http.post(path, json={"email": email}).status_code == 202
            # Until the worker is done with the job (it deletes it once it ran).
            eventually(lambda: "DELETE FROM OUTBOX_JOBS" in statements.writes())
        traces[name] = statements.writes()
    assert traces["unknown"] == ["INSERT INTO OUTBOX_JOBS", "DELETE FROM OUTBOX_JOBS"]
    assert traces["unknown"] == traces["known"]
    (message,) = inbox.wait_for(1)
    assert message["To"] == known


def test_mails_to_an_unconfirmed_address_carry_no_name(http: httpx.Client, inbox: Inbox) -> None:
    # Anyone can register someone else's address with a name that reads as an instruction.
    lure = "Call +1 555 0100 to claim your prize"
    email = register(http, name=lure)["user"]["email"]
    forgot(http, email)
    assert http.post("/auth/verify/request", json={"email": email}).status_code == 202
    for message in inbox.wait_for(2):
        assert lure not in message.as_string()
        assert "Call" not in text_of(message)


def test_a_confirmed_address_is_greeted_by_its_name(http: httpx.Client, inbox: Inbox) -> None:
    email = register(http, name="Ann <b>Example</b>")["user"]["email"]
    forgot(http, email)
    token = mailed_token(inbox, "/reset")
    answer = http.post("/auth/password/reset", json={"token": token, "password": NEW_PASSWORD})
    assert answer.status_code == 204  # the reset proved the address
    forgot(http, email)
    message = inbox.wait_for(2)[1]
    assert "Hello Ann <b>Example</b>," in text_of(message)
    html = message.get_body(("html",))
    assert html is not None
    assert "Hello Ann &lt;b&gt;Example&lt;/b&gt;," in html.get_content()  # escaped


def test_mails_to_one_address_are_capped_per_hour_across_kinds(
    mailing: Server, inbox: Inbox, tmp_path: Path
) -> None:
    # SQLite of its own: "no job left" must be about this server's jobs only.
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'capped.db'}"
    with (
        mailing(mail_limit_per_address="3/hour", database_url=database_url) as url,
        httpx.Client(base_url=url) as http,
    ):
        email = register(http)["user"]["email"]
        for path in ["/auth/password/forgot", "/auth/verify/request"] * 2:
            assert http.post(path, json={"email": email}).status_code == 202
        inbox.wait_for(3)
        eventually(lambda: _outbox_empty(database_url))
        other = register(http)["user"]["email"]  # another address has its own count
        forgot(http, other)
        assert inbox.wait_for(4)[3]["To"] == other
    assert len(inbox.messages) == 4


def _pending_mail_delays(database_url: str) -> list[float]:
    async def look() -> list[float]:
        async with open_database(database_url) as database, database.sessionmaker() as db:
            jobs = await list_jobs(db)
        return [(job.run_after - job.created_at).total_seconds() for job in jobs]

    return asyncio.run(look())


def test_requested_mails_wait_a_random_while_known_address_or_not(
    mailing: Server, tmp_path: Path
) -> None:
    # SQLite of its own: jobs still waiting at the end must not reach another test's server.
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'delayed.db'}"
    with (
        mailing(mail_delay_max=60, database_url=database_url) as url,
        httpx.Client(base_url=url) as http,
    ):
        known = register(http)["user"]["email"]
        for email in (known, new_email()):
            forgot(http, email)
        eventually(lambda: len(_pending_mail_delays(database_url)) == 2)
        delays = _pending_mail_delays(database_url)
    assert len(delays) == 2
    assert all(6 <= delay <= 60 for delay in delays), delays
