# Container image of billing-exporter:
#
#   docker build -t billing-exporter \
#     --build-arg VERSION="$(git describe --tags --always --dirty)" \
#     --build-arg REVISION="$(git rev-parse HEAD)" \
#     --build-arg BRANCH="$(git rev-parse --abbrev-ref HEAD)" .
#   docker run -p 127.0.0.1:9977:9977 -v "$PWD/config.yml:/etc/billing-exporter/config.yml:ro" billing-exporter
#
# The binary is built by `make build`, the target CI builds too: static
# (CGO_ENABLED=0), -trimpath, version ldflags. .git is not sent to the build
# (.dockerignore), so the version comes in as build arguments (default: dev).

# At least the go directive of go.mod (a test checks).
ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION} AS build
# Build with this image's Go, never a toolchain downloaded on the way.
ENV GOTOOLCHAIN=local
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG REVISION=unknown
ARG BRANCH=unknown
RUN make build VERSION="${VERSION}" REVISION="${REVISION}" BRANCH="${BRANCH}" \
	&& go version -m billing-exporter | grep -q 'CGO_ENABLED=0' \
	&& ./billing-exporter --version

# Distroless static: no shell, no package manager, CA certificates and
# /etc/passwd only; the nonroot tag runs as uid 65532. Time zones for
# Acefone's dates are compiled into the binary (time/tzdata).
FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
LABEL org.opencontainers.image.title="billing-exporter" \
	org.opencontainers.image.description="Prometheus exporter for SaaS billing APIs" \
	org.opencontainers.image.source="https://github.com/billing-exporter/billing-exporter" \
	org.opencontainers.image.version="${VERSION}"
COPY --from=build /src/billing-exporter /bin/billing-exporter
USER 65532:65532
EXPOSE 9977
ENTRYPOINT ["/bin/billing-exporter", "--config.file=/etc/billing-exporter/config.yml"]
