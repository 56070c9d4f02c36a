"""Certificates chosen by SNI: test-CA certificates for routed domains, else a default one.

Like Traefik with an ACME resolver, a domain gets a trusted certificate once a
router asks the resolver for it, and keeps it; any other name gets the
untrusted default certificate.
"""

import logging
import ssl
from collections.abc import Callable
from pathlib import Path

from local_alpha import ca

log = logging.getLogger("edge.tls")


class CertificateStore:
    """Server TLS contexts per domain, issued on demand and cached on disk."""

    def __init__(self, directory: Path, certified: Callable[[], set[str]]) -> None:
        self.directory = directory
        self.certified = certified
        self.contexts: dict[str, ssl.SSLContext] = {}
        self.default = _context(*ca.self_signed(directory))

    def server_context(self) -> ssl.SSLContext:
        """The listening context; it switches to a per-domain context by SNI."""
        context = _context(*ca.self_signed(self.directory))
        context.sni_callback = self._on_sni
        return context

    def _on_sni(self, connection: ssl.SSLObject, name: str | None, _: ssl.SSLContext) -> None:
        if name:
            connection.context = self.context_for(name.lower())

    def context_for(self, domain: str) -> ssl.SSLContext:
        """The context for a domain: cached, newly issued, or the default."""
        if domain not in self.contexts and domain in self.certified():
            log.info("issuing a test-CA certificate for %s", domain)
            self.contexts[domain] = _context(*ca.issue(domain, self.directory))
        return self.contexts.get(domain, self.default)


def _context(chain: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols(["http/1.1"])
    context.load_cert_chain(chain, key)
    return context
