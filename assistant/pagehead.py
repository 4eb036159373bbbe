"""An ASGI middleware that puts a snippet at the top of every HTML page's <head>. No Gradio import.

Gradio's frontend picks its language from `navigator.language` as its bundle starts; the `head` passed to
`launch()` is only added by that bundle once it has started, too late to say the page is Chinese. This
middleware puts the snippet (assistant.webassets.EARLY_HEAD) in the page the server sends, before the bundle's
<script> tag, so that it runs first.
"""

from __future__ import annotations

import re

_HEAD = re.compile(rb"<head(\s[^>]*)?>", re.IGNORECASE)


def inject(body: bytes, snippet: bytes) -> bytes:
    """`body` with `snippet` right after its first <head> tag (unchanged when it has none)."""
    match = _HEAD.search(body)
    if not match:
        return body
    return body[:match.end()] + snippet + body[match.end():]


def _header(headers, name: bytes) -> bytes:
    for key, value in headers or ():
        if key.lower() == name:
            return value
    return b""


class EarlyHead:
    """Wraps an ASGI app: GET responses that are uncompressed text/html get `snippet` after <head>."""

    def __init__(self, app, snippet: str):
        self.app = app
        self.snippet = snippet.encode("utf-8")

    async def __call__(self, scope, receive, send):
        if scope.get("type") != "http" or scope.get("method") != "GET":
            await self.app(scope, receive, send)
            return
        held: dict = {}
        chunks: list[bytes] = []

        async def send_through(message):
            if message["type"] == "http.response.start":
                headers = message.get("headers") or []
                if (_header(headers, b"content-type").lower().startswith(b"text/html")
                        and not _header(headers, b"content-encoding")):
                    held["start"] = message  # sent with the whole body, its length corrected
                    return
            elif message["type"] == "http.response.body" and "start" in held:
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                body = inject(b"".join(chunks), self.snippet)
                start = held.pop("start")
                headers = [(k, v) for k, v in start.get("headers") or [] if k.lower() != b"content-length"]
                headers.append((b"content-length", str(len(body)).encode("ascii")))
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": body, "more_body": False})
                return
            await send(message)

        await self.app(scope, receive, send_through)
