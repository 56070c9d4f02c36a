"""Acting on the host. Import submodules directly: this package stays light for dry runs."""
