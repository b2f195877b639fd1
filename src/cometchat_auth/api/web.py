"""The demo web page and the client configuration it reads."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
