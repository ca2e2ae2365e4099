# Bulwark's own image: a static binary on a distroless base, running as non-root.
#   docker build -t bulwark .
#   docker run --rm -v bulwark-cache:/cache -e BULWARK_CACHE_DIR=/cache bulwark scan image REF
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/bulwark-security/bulwark/internal/cli.Version=${VERSION}" \
      -o /out/bulwark ./cmd/bulwark

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/bulwark /usr/local/bin/bulwark
ENV BULWARK_CACHE_DIR=/cache
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/bulwark"]
