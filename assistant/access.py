"""Who may change the library (upload, add, remove a decision), from how the app is served. No Gradio.

- 'open': served on loopback only and no admin token set: whoever is at this machine may;
- 'token': an admin token is set: each change must carry it (compared in constant time);
- 'disabled': reachable beyond this machine (a non-loopback address or --share) without a token: read-only.
The web app checks this on the server inside every handler that changes the library.
"""

from __future__ import annotations

import hmac
import time

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
READ_ONLY_MESSAGE = ("文库只读：本服务对外开放且未设置管理员口令，不能上传、加入或删除决定。"
                     "管理员可在服务器上设置环境变量 JUEDING_ADMIN_TOKEN（或 --admin-token）后重启。")
BAD_TOKEN_MESSAGE = "管理员口令不正确或未填写，文库未改动。"
NOTES = {
    "open": ("本服务只在本机（回环地址）提供：可直接上传、加入或删除决定。", "ok"),
    "token": ("上传、加入或删除决定需要管理员口令；未填写口令时文库只读，问答不受影响。", "ok"),
    "disabled": (READ_ONLY_MESSAGE, "bad"),
}
CONSOLE = {
    "open": "文库可修改（仅本机访问，未设管理员口令）",
    "token": "修改文库需要管理员口令",
    "disabled": "文库只读：对外开放且未设置管理员口令（JUEDING_ADMIN_TOKEN 或 --admin-token）",
}


class AccessDenied(Exception):
    """A change to the library refused; the message says why, for the person who tried."""


def is_exposed(host, share) -> bool:
    """Whether the app may be reached beyond this machine: a non-loopback bind address or share.
    When it cannot tell (no host known) it says yes."""
    if share or not host:
        return True
    return str(host).strip().lower() not in LOOPBACK_HOSTS


def library_access(admin_token: str | None, host, share) -> str:
    if admin_token:
        return "token"
    return "disabled" if is_exposed(host, share) else "open"


def check(access: str, token, admin_token: str | None, delay_s: float = 0.3) -> str:
    """Who this request is ('本机用户' / '管理员'), or AccessDenied."""
    if access == "open":
        return "本机用户"
    if access != "token" or not admin_token:
        raise AccessDenied(READ_ONLY_MESSAGE)
    if not hmac.compare_digest(str(token or "").encode("utf-8"), admin_token.encode("utf-8")):
        time.sleep(delay_s)  # slows guessing a little; the comparison itself is constant-time
        raise AccessDenied(BAD_TOKEN_MESSAGE)
    return "管理员"
