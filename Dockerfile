# syntax=docker/dockerfile:1
# modelgate: a static-ish Rust binary (rustls, no OpenSSL) in a distroless image.

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
# The caches keep crates and build artefacts between builds; the binary is copied out of them.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin modelgate \
 && cp target/release/modelgate /usr/local/bin/modelgate

# glibc + libgcc + CA certificates, no shell, no package manager; runs as uid 65532.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /usr/local/bin/modelgate /usr/local/bin/modelgate
USER nonroot
ENV MODELGATE_HTTP_ADDR=0.0.0.0:8001 \
    MODELGATE_GRPC_ADDR=0.0.0.0:50051
EXPOSE 8001 50051
# No curl in this image: the binary checks its own /health.
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/modelgate", "healthcheck", "--url", "http://127.0.0.1:8001/health"]
# SIGTERM drains: readiness off, new requests 503, running streams get server.shutdown_grace_seconds.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/modelgate"]
CMD ["serve"]
