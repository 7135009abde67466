# TaskQ: the `taskq` CLI and the example app `tasks` in a slim image.
#
#   docker build -t taskq .
#   docker run --rm -e TASKQ_BROKER_URL=redis://HOST:6379/0 taskq
#
# or `docker compose up` (see docker-compose.yml).
#
# The builder needs Swift >= 6.2: the pinned swift-log (1.16.2) and
# swift-service-lifecycle (2.13) declare swift-tools-version 6.2, so a 6.0
# toolchain cannot resolve them. 6.3 matches the toolchain TaskQ is developed
# with; override with --build-arg SWIFT_VERSION=6.2 if needed.
ARG SWIFT_VERSION=6.3

# ---- build -----------------------------------------------------------------
FROM swift:${SWIFT_VERSION}-bookworm AS builder

RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get -q update \
    && apt-get -q install -y --no-install-recommends libhiredis-dev zlib1g-dev libbz2-dev libzstd-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src

# Dependencies first, so they stay cached while only sources change.
COPY Package.* ./
RUN if [ -f Package.resolved ]; then swift package resolve --force-resolved-versions; \
    else swift package resolve; fi

COPY . .

# --static-swift-stdlib links the Swift runtime and Foundation into the
# binaries, so the runtime image needs only libhiredis and libc/libstdc++.
# `taskq worker` hands over to taskq-worker, the worker alone (no monitor HTTP
# stack), when it sits beside taskq: a smaller supervisor process.
RUN swift build -c release --static-swift-stdlib --product taskq \
    && swift build -c release --static-swift-stdlib --product taskq-worker \
    && swift build -c release --static-swift-stdlib --product tasks \
    && bin="$(swift build -c release --static-swift-stdlib --show-bin-path)" \
    && mkdir -p /staging \
    && cp "$bin/taskq" "$bin/taskq-worker" "$bin/tasks" /staging/

# ---- run -------------------------------------------------------------------
FROM debian:bookworm-slim

RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get -q update \
    && apt-get -q install -y --no-install-recommends libhiredis0.14 zlib1g libbz2-1.0 libzstd1 libstdc++6 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --user-group --create-home --home-dir /app taskq

COPY --from=builder /staging/taskq /staging/taskq-worker /staging/tasks /usr/local/bin/

WORKDIR /app
USER taskq

# Set TASKQ_BROKER_URL (e.g. redis://redis:6379/0) when running the image.
# The worker shuts down warmly on SIGTERM (docker stop).
CMD ["taskq", "worker", "-A", "/usr/local/bin/tasks", "--loglevel=info"]
