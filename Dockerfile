# The alpha-deploy Woodpecker plugin: `image: mintel/alpha-deploy`.
#
# Builds anywhere with network access from the pinned Python base below. Where
# no base image can be pulled, scripts/build-image passes a locally made
# Debian base and a wheelhouse instead:
#   --build-arg PYTHON_BASE=alpha-local/python-base:bookworm
#   --build-arg PIP_NO_INDEX=1 --build-arg PIP_FIND_LINKS=/src/.wheels
ARG PYTHON_BASE=python:3.11.10-slim-bookworm@sha256:5148c0e4bbb64271bca1d3322360ebf4bfb7564507ae32dd639322e4952a6b16

FROM ${PYTHON_BASE} AS builder
# pip reads these as PIP_* variables: `1` and a directory make it install
# from the wheelhouse only; the defaults leave it on the index.
ARG PIP_NO_INDEX=0
ARG PIP_FIND_LINKS=
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
COPY . /src
# `python3 -m venv` works on both bases (/usr/local/bin on python:slim,
# /usr/bin on Debian's). The venv is compiled so start-up reads .pyc files.
RUN python3 -m venv /opt/alpha-deploy \
    && /opt/alpha-deploy/bin/pip install -q /src \
    && /opt/alpha-deploy/bin/pip uninstall -q -y pip setuptools \
    && /opt/alpha-deploy/bin/alpha-deploy --version

FROM ${PYTHON_BASE}
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/alpha alpha
COPY --from=builder /opt/alpha-deploy /opt/alpha-deploy
ENV PATH=/opt/alpha-deploy/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    LANG=C.UTF-8
USER alpha
WORKDIR /home/alpha
ENTRYPOINT ["alpha-deploy"]
