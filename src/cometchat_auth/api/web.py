"""The demo web page, its static files, the CometChat SDK from npm, and the config it reads."""

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles

from cometchat_auth.api.local_chat import PREFIX
from cometchat_auth.api.passkeys import relying_party

router = APIRouter(include_in_schema=False)

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
SDK_FILE = "CometChat.js"  # the package's UMD bundle ("main" in its package.json)

_static = StaticFiles(directory=WEB_DIR)


@router.get("/")
async def page() -> FileResponse:
    """The demo page: plain HTML that loads its script and style from /static (no inline code)."""
    return FileResponse(WEB_DIR / "index.html")


@router.get("/static/{path:path}")
async def static(path: str, request: Request) -> Response:
    """The page's own scripts and styles, shipped inside the package."""
    return await _static.get_response(path, request.scope)


@router.get("/vendor/cometchat/{path:path}")
async def sdk(path: str, request: Request) -> Response:
    """The CometChat JS SDK as npm installed it; StaticFiles refuses paths outside that folder."""
    folder = StaticFiles(directory=request.app.state.settings.web_sdk_dir, check_dir=False)
    return await folder.get_response(path, request.scope)


@router.get("/config.json")
async def config(request: Request) -> dict[str, Any]:
    """What the page needs to start CometChat; public values only, never a key or a token."""
    settings = request.app.state.settings
    client_host: str | None = settings.cometchat_client_host
    # Local mode reaches the emulator through this origin unless COMETCHAT_CLIENT_HOST says where.
    same_origin = bool(settings.local and settings.local_emulator_url and not client_host)
    local: bool = settings.local and (client_host is not None or same_origin)
    installed = (Path(settings.web_sdk_dir) / SDK_FILE).is_file()
    # The SDK only speaks https: on the emulator's own TLS port a person trusts its certificate.
    rp = relying_party(settings)
    emulator_origin = f"https://{client_host.split('/', 1)[0]}" if client_host and local else None
    return {
        "appName": settings.app_name,
        "transport": settings.session_transport,
        "cometchat": {
            "appId": settings.cometchat_app_id,
            "region": settings.cometchat_region,
            "clientHost": client_host,
            "clientPath": PREFIX if same_origin else None,
        },
        "local": local,
        "emulatorOrigin": emulator_origin,
        # Passkeys work only on the RP ID's origin: a page opened elsewhere links there.
        "passkeys": {"rpId": rp.id, "origin": rp.origins[0]},
        "sdk": {
            "installed": installed,
            "url": f"/vendor/cometchat/{SDK_FILE}" if installed else None,
        },
    }
