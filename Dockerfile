# syntax=docker/dockerfile:1
# bucketdesk: build with the Rust toolchain, run on a slim Debian as a non-root user.

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# cache mounts keep the registry and target folder between builds; the
# binaries ship stripped (a quarter of their size), the server's symbols
# are kept apart in /out/bucketdesk.debug for profiles (see the symbols stage)
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin bucketdesk --bin bdk \
 && mkdir -p /out \
 && cp target/release/bucketdesk target/release/bdk /out/ \
 && objcopy --only-keep-debug /out/bucketdesk /out/bucketdesk.debug \
 && objcopy --strip-all --add-gnu-debuglink=/out/bucketdesk.debug /out/bucketdesk \
 && objcopy --strip-all /out/bdk \
 && cp /out/bucketdesk /out/bdk /usr/local/bin/

# the server's symbols alone, for a profiler:
#   docker build --target symbols --output type=local,dest=./symbols .
FROM scratch AS symbols
COPY --from=build /out/bucketdesk.debug /bucketdesk.debug

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/bucketdesk --create-home bucketdesk
COPY --from=build /usr/local/bin/bucketdesk /usr/local/bin/bucketdesk
# the command-line client, for scripts run in this image (docker run --entrypoint bdk ...)
COPY --from=build /usr/local/bin/bdk /usr/local/bin/bdk
USER bucketdesk
WORKDIR /var/lib/bucketdesk
ENV BUCKETDESK_BIND=0.0.0.0:8080 \
    BUCKETDESK_DATA_DIR=/var/lib/bucketdesk
# the instance key file lives here: keep this volume and back it up
VOLUME ["/var/lib/bucketdesk"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["bucketdesk", "healthcheck"]
ENTRYPOINT ["bucketdesk"]
CMD ["serve"]
