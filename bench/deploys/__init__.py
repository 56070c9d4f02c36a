"""Deploys side by side on the local Alpha host: today's compose command and alpha-deploy."""
