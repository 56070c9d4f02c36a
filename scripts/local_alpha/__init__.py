"""A local stand-in for the Alpha host: engine, sshd, registry, demo images and edge."""
