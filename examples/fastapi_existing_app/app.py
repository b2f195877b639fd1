"""An existing FastAPI app with its own users and sign-in, that adds CometChat in about 20 lines.

Run it against the local emulator (``cometchat-auth emulator`` in another terminal):

    export COMETCHAT_APP_ID=... COMETCHAT_REST_API_KEY=... COMETCHAT_API_BASE=http://127.0.0.1:8787/v3
    export TOKEN_ENCRYPTION_KEY=...   # Fernet.generate_key(), kept secret like a password
    uvicorn examples.fastapi_existing_app.app:app

Sign in with ``POST /login {"username": "ann", "password": "correct horse battery"}``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Header, HTTPException
from pydantic import BaseModel
from sqlalchemy import ForeignKey, String, delete, select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from cometchat_auth.cometchat import CometChatClient
from cometchat_auth.integrations.fastapi import CometChatTokens, Principal

# The app's own users, logins and database: nothing here knows of CometChat.

engine = create_async_engine(os.environ.get("DATABASE_URL", "sqlite+aiosqlite:///example.db"))
Session = async_sessionmaker(engine, expire_on_commit=False)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    salt: Mapped[bytes]
    password_hash: Mapped[bytes]


class Login(Base):
    """One signed-in device: the bearer token's hash, and an id that can be shown to others."""

    __tablename__ = "logins"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))


def password_hash(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def signed_in(authorization: Annotated[str, Header()] = "") -> tuple[User, Login]:
    token = authorization.removeprefix("Bearer ")
    async with Session() as db:
        login = await db.scalar(select(Login).where(Login.token_hash == token_hash(token)))
        user = await db.get(User, login.user_id) if login else None
    if login is None or user is None:
        raise HTTPException(401, "Sign in first", headers={"WWW-Authenticate": "Bearer"})
    return user, login


SignedIn = Annotated[tuple[User, Login], Depends(signed_in)]


class Credentials(BaseModel):
    username: str
    password: str


async def seed() -> None:
    """One user to sign in with."""
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    async with Session() as db:
        if await db.scalar(select(User).where(User.username == "ann")) is None:
            salt = secrets.token_bytes(16)
            hashed = password_hash("correct horse battery", salt)
            db.add(
                User(
                    id=uuid.uuid4().hex, username="ann", name="Ann", salt=salt, password_hash=hashed
                )
            )
            await db.commit()


# --- CometChat: the whole integration (and the two imports at the top) ---------------------
cometchat = CometChatClient(
    os.environ["COMETCHAT_APP_ID"],
    os.environ["COMETCHAT_REST_API_KEY"],
    region=os.environ.get("COMETCHAT_REGION", "us"),
    base_url=os.environ.get("COMETCHAT_API_BASE"),
)
tokens = CometChatTokens(cometchat, engine, os.environ["TOKEN_ENCRYPTION_KEY"])


async def current_principal(me: SignedIn) -> Principal:
    user, login = me
    return Principal(uid=user.id, key=login.id, name=user.name)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    await seed()
    async with cometchat, tokens.running():  # the cca_ tables, and the outbox's worker
        yield


app = FastAPI(lifespan=lifespan)
app.include_router(tokens.router(current_principal))  # POST /cometchat/token
# ------------------------------------------------------------------------------------------


@app.post("/login")
async def login(credentials: Credentials) -> dict[str, str]:
    async with Session() as db:
        user = await db.scalar(select(User).where(User.username == credentials.username))
        given = password_hash(credentials.password, user.salt if user else b"no user salt")
        if user is None or not hmac.compare_digest(given, user.password_hash):
            raise HTTPException(401, "Wrong username or password")
        token = secrets.token_urlsafe(32)
        db.add(Login(id=uuid.uuid4().hex, token_hash=token_hash(token), user_id=user.id))
        await db.commit()
    return {"token": token}


@app.post("/logout", status_code=204)
async def logout(me: SignedIn) -> None:
    _, login = me
    async with Session() as db:
        await db.execute(delete(Login).where(Login.id == login.id))
        await db.commit()
    await tokens.end_session(login.id)  # CometChat: this login's token is deleted
