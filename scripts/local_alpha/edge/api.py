"""A read-only view of the routing table, like Traefik's API: GET /api/http/routers.

Tests wait on it ("router X has 2 servers") instead of sleeping.
"""

import asyncio
import json

from local_alpha.edge.http import BadRequest, TableRef, read_request


class Api:
    """Serves the current table as JSON on a plain HTTP port."""

    def __init__(self, table: TableRef) -> None:
        self.table = table

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Answer one request with the routers and their servers, then close."""
        try:
            if await read_request(reader) is None:
                return
            body = json.dumps(self.routers()).encode()
            head = (
                f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}"
            )
            writer.write(f"{head}\r\nConnection: close\r\n\r\n".encode() + body)
            await writer.drain()
        except (BadRequest, OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    def routers(self) -> list[dict]:
        """Each router with its domains, service, retry attempts and servers."""
        return [
            {
                "name": r.name,
                "domains": list(r.domains),
                "service": r.service.name,
                "servers": [f"{ip}:{port}" for ip, port in r.service.servers],
                "retry_attempts": r.retry.attempts if r.retry else 0,
                "tls": r.tls,
            }
            for r in self.table.current.routers
        ]
