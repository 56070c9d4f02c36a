"""The HTTP/1.1 side of the edge: read requests, route, forward, stream back.

What a deploy can observe is kept as Traefik does it: unknown host 404,
refused or reset upstream 502, no retry without a `retry` middleware, round
robin over the servers in the table. One upstream connection per request.
"""

import asyncio
import logging
from dataclasses import dataclass
from http import HTTPStatus

from local_alpha.edge.config import Router, Table

log = logging.getLogger("edge.http")

MAX_HEAD = 64 * 1024
CHUNK = 64 * 1024
DIAL_TIMEOUT_S = 30.0
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-connection", "te", "trailer",
    "transfer-encoding", "upgrade", "proxy-authorization", "proxy-authenticate",
}  # fmt: skip


class BadRequest(Exception):
    """The client sent something that is not HTTP/1.x."""


class UpstreamFailed(Exception):
    """The connection to the server could not be made: Traefik's retry may try another."""


class UpstreamBroken(Exception):
    """The request reached the server, which then failed: Traefik never retries that."""


@dataclass
class Request:
    """One request from a client, body read in full."""

    method: str
    target: str
    version: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str:
        """The first value of a header, or an empty string."""
        return next((v for k, v in self.headers if k.lower() == name), "")

    @property
    def keep_alive(self) -> bool:
        """Whether the client wants the connection kept open afterwards."""
        connection = self.header("connection").lower()
        return "close" not in connection and (
            self.version == "HTTP/1.1" or "keep-alive" in connection
        )

    @property
    def host(self) -> str:
        """The Host header without port, lower case."""
        host = self.header("host").strip().lower()
        return host.rsplit(":", 1)[0] if not host.endswith("]") else host


class Entrypoint:
    """One listening address (websecure or web) routing through the current table."""

    def __init__(self, name: str, tls: bool, table: "TableRef") -> None:
        self.name = name
        self.tls = tls
        self.table = table

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve requests on one client connection until either side closes."""
        client_ip = (writer.get_extra_info("peername") or ("?",))[0]
        try:
            while (request := await read_request(reader)) is not None:
                if not await self.serve(request, writer, client_ip) or not request.keep_alive:
                    break
        except (BadRequest, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            await _reply(writer, 400, "Bad Request", keep_alive=False)
        except (ConnectionError, TimeoutError, OSError):
            pass
        finally:
            writer.close()

    async def serve(self, request: Request, writer: asyncio.StreamWriter, client_ip: str) -> bool:
        """Answer one request; False when the client connection must close."""
        router = self.table.current.match(request.host, self.name, self.tls)
        if router is None:
            return await _reply(writer, 404, "404 page not found", request.keep_alive)
        if not router.service.servers:
            return await _reply(writer, 503, "no available server", request.keep_alive)
        head = _upstream_head(request, client_ip, self.tls)
        return await self._forward(router, head, request, writer)

    async def _forward(self, router: Router, head: bytes, request: Request, writer) -> bool:
        # Traefik's retry middleware retries only while no byte of the request has
        # reached a server (dial errors and dial timeouts); once the request was
        # written, a failure is final.
        attempts = router.retry.attempts if router.retry else 1
        for attempt in range(1, attempts + 1):
            server = router.service.next_server()
            try:
                upstream = await _open_upstream(server, head + request.body)
            except UpstreamBroken as error:
                log.warning("router %s: %s:%d broke after the request was sent: %s",
                            router.name, *server, error)  # fmt: skip
                return await _reply(writer, 502, "Bad Gateway", request.keep_alive)
            except TimeoutError:
                log.warning("router %s: %s:%d dial timeout (attempt %d/%d)",
                            router.name, *server, attempt, attempts)  # fmt: skip
                if attempt < attempts:
                    await asyncio.sleep(_backoff_s(router, attempt))
                    continue
                return await _reply(writer, 504, "Gateway Timeout", request.keep_alive)
            except UpstreamFailed as error:
                log.warning("router %s: %s:%d failed (attempt %d/%d): %s",
                            router.name, *server, attempt, attempts, error)  # fmt: skip
                if attempt < attempts:
                    await asyncio.sleep(_backoff_s(router, attempt))
                    continue
                return await _reply(writer, 502, "Bad Gateway", request.keep_alive)
            return await _relay(upstream, request, writer)
        return False


class TableRef:
    """The routing table in force, swapped whole on every rebuild."""

    def __init__(self) -> None:
        self.current = Table()

    def publish(self, table: Table) -> None:
        """Put a new table in force."""
        self.current = table


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """The next request on a connection, or None when the client closed it."""
    try:
        raw = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as error:
        if error.partial.strip():
            raise BadRequest("truncated request head") from error
        return None
    lines = raw.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise BadRequest(f"bad request line {lines[0][:80]!r}")
    headers = _parse_headers(lines[1:])
    request = Request(parts[0], parts[1], parts[2], headers, b"")
    request.body = await _read_body(reader, request)
    return request


def _parse_headers(lines: list[str]) -> list[tuple[str, str]]:
    headers = []
    for line in lines:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise BadRequest(f"bad header line {line[:80]!r}")
        headers.append((name.strip(), value.strip()))
    return headers


async def _read_body(reader: asyncio.StreamReader, request: Request) -> bytes:
    if "chunked" in request.header("transfer-encoding").lower():
        return b"".join([chunk async for chunk in _chunks(reader, keep_framing=False)])
    length = request.header("content-length")
    if not length:
        return b""
    if not length.isdigit():
        raise BadRequest("bad Content-Length")
    return await reader.readexactly(int(length))


async def _chunks(reader: asyncio.StreamReader, keep_framing: bool):
    """The chunks of a chunked body; with keep_framing, the raw bytes including framing."""
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            trailer = await _read_trailer(reader)
            if keep_framing:
                yield size_line + trailer
            return
        data = await reader.readexactly(size + 2)
        yield size_line + data if keep_framing else data[:-2]


async def _read_trailer(reader: asyncio.StreamReader) -> bytes:
    trailer = b""
    while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
        trailer += line
    return trailer + b"\r\n"


def _upstream_head(request: Request, client_ip: str, tls: bool) -> bytes:
    headers = [(k, v) for k, v in request.headers if k.lower() not in HOP_BY_HOP]
    headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
    if request.body or request.method in ("POST", "PUT", "PATCH"):
        headers.append(("Content-Length", str(len(request.body))))
    forwarded_for = request.header("x-forwarded-for")
    headers += [
        ("X-Forwarded-For", f"{forwarded_for}, {client_ip}" if forwarded_for else client_ip),
        ("X-Forwarded-Proto", "https" if tls else "http"),
        ("X-Forwarded-Host", request.header("host")),
        ("X-Real-Ip", client_ip),
        ("Connection", "close"),
    ]
    lines = [f"{request.method} {request.target} HTTP/1.1", *(f"{k}: {v}" for k, v in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _open_upstream(server: tuple[str, int], payload: bytes):
    """Connect, send the request, read the response head.

    UpstreamFailed (retryable) before the request was sent, UpstreamBroken after.
    """
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(*server), DIAL_TIMEOUT_S)
    except OSError as error:
        raise UpstreamFailed(error.strerror or str(error)) from error
    try:
        writer.write(payload)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
        writer.close()
        raise UpstreamBroken(f"no response: {error!r}") from error

    return reader, writer, head


async def _relay(upstream, request: Request, writer: asyncio.StreamWriter) -> bool:
    """Stream the upstream response to the client; False when the client must be closed."""
    reader, upstream_writer, head = upstream
    try:
        return await _stream_response(reader, head, request, writer)
    except (OSError, asyncio.IncompleteReadError, ValueError):
        return False  # a response cut short cannot be repaired: close the client connection
    finally:
        upstream_writer.close()


async def _stream_response(reader, head: bytes, request: Request, writer) -> bool:
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = _parse_headers(lines[1:])
    names = {k.lower(): v for k, v in headers}
    kept = [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP]
    bodyless = request.method == "HEAD" or status in (204, 304) or 100 <= status < 200
    chunked = "chunked" in names.get("transfer-encoding", "").lower()
    if not bodyless and "content-length" not in names:
        kept.append(("Transfer-Encoding", "chunked"))
    if not request.keep_alive:
        kept.append(("Connection", "close"))
    out = [lines[0].replace("HTTP/1.0", "HTTP/1.1", 1), *(f"{k}: {v}" for k, v in kept)]
    writer.write(("\r\n".join(out) + "\r\n\r\n").encode("latin-1"))
    if bodyless:
        pass
    elif "content-length" in names:
        await _copy_exactly(reader, writer, int(names["content-length"]))
    elif chunked:
        async for raw in _chunks(reader, keep_framing=True):
            writer.write(raw)
            await writer.drain()
    else:
        await _copy_until_close_as_chunks(reader, writer)
    await writer.drain()
    return True


async def _copy_exactly(reader, writer, length: int) -> None:
    while length > 0:
        data = await reader.read(min(CHUNK, length))
        if not data:
            raise asyncio.IncompleteReadError(b"", length)
        length -= len(data)
        writer.write(data)
        await writer.drain()


async def _copy_until_close_as_chunks(reader, writer) -> None:
    while data := await reader.read(CHUNK):
        writer.write(b"%x\r\n%s\r\n" % (len(data), data))
        await writer.drain()
    writer.write(b"0\r\n\r\n")


def _backoff_s(router: Router, attempt: int) -> float:
    assert router.retry is not None
    return router.retry.initial_interval_s * (2 ** (attempt - 1))


async def _reply(writer: asyncio.StreamWriter, status: int, text: str, keep_alive: bool) -> bool:
    body = f"{text}\n".encode()
    head = [
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
        "Content-Type: text/plain; charset=utf-8",
        f"Content-Length: {len(body)}",
    ]
    if not keep_alive:
        head.append("Connection: close")
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    await writer.drain()
    return keep_alive
