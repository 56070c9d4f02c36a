"""The edge: a stand-in for Traefik's docker provider and websecure entrypoint."""
