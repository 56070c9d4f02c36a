"""Run the edge: `python -m local_alpha.edge [--throttle S] [--https ADDR] [--http ADDR]`."""

import argparse
import asyncio
import logging
import os
from pathlib import Path

from local_alpha import state
from local_alpha.edge.api import Api
from local_alpha.edge.docker_watch import DockerWatch
from local_alpha.edge.http import Entrypoint, TableRef
from local_alpha.edge.tls import CertificateStore


def arguments() -> argparse.Namespace:
    """The edge's options; the throttle also comes from EDGE_THROTTLE_S."""
    parser = argparse.ArgumentParser(prog="local_alpha.edge", description=__doc__)
    parser.add_argument("--https", default=f"127.0.0.1:{state.EDGE_HTTPS_PORT}",
                        help="websecure entrypoint address")  # fmt: skip
    parser.add_argument("--http", default=f"127.0.0.1:{state.EDGE_HTTP_PORT}",
                        help="web entrypoint address; empty to disable")  # fmt: skip
    parser.add_argument("--api", default=f"127.0.0.1:{state.EDGE_API_PORT}",
                        help="address of the JSON view of the table")  # fmt: skip
    parser.add_argument("--throttle", type=float,
                        default=float(os.environ.get("EDGE_THROTTLE_S", "2")),
                        help="seconds from a Docker event to the new table")  # fmt: skip
    parser.add_argument("--cert-resolver", default="le", help="the resolver routers name")
    parser.add_argument("--cert-dir", type=Path, default=state.STATE_DIR / "edge-certs")
    parser.add_argument("--log-level", default=os.environ.get("EDGE_LOG_LEVEL", "INFO"))
    return parser.parse_args()


async def serve(args: argparse.Namespace) -> None:
    """Build the first table, open the entrypoints, then follow Docker."""
    table = TableRef()
    watch = DockerWatch(args.throttle, table.publish)
    await watch.rebuild()
    certificates = CertificateStore(
        args.cert_dir, lambda: table.current.certified_domains(args.cert_resolver)
    )
    websecure = Entrypoint("websecure", tls=True, table=table)
    servers = [await _listen(websecure.handle, args.https, certificates.server_context())]
    if args.http:
        web = Entrypoint("web", tls=False, table=table)
        servers.append(await _listen(web.handle, args.http, None))
    servers.append(await _listen(Api(table).handle, args.api, None))
    logging.getLogger("edge").info(
        "edge ready: websecure %s, web %s, throttle %.1f s", args.https, args.http or "off",
        args.throttle,
    )  # fmt: skip
    await watch.run()


async def _listen(handler, address: str, ssl_context) -> asyncio.Server:
    host, port = address.rsplit(":", 1)
    return await asyncio.start_server(
        handler, host, int(port), ssl=ssl_context, limit=64 * 1024, backlog=1024,
        reuse_address=True, ssl_handshake_timeout=10 if ssl_context else None,
    )  # fmt: skip


def main() -> None:
    """Log to stderr (the daemon's log file) and serve until killed."""
    args = arguments()
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
