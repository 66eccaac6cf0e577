#!/usr/bin/env bash
# Builds Tokenrail's container images on a machine that reaches no image registry — from Debian
# packages and Maven Central only — and reuses any image already present:
#
#   tokenrail/jre-base:17           Java 17 runtime (debootstrap)     stands in for eclipse-temurin:17-jre
#   tokenrail/nginx-base:bookworm-njs  nginx and its njs module from Debian   stands in for nginx
#   tokenrail/kafka-standin:4.1.1   Kafka's Maven jars on the base    stands in for apache/kafka:4.1.1
#   tokenrail/producer-worker:dev   producer-worker/Dockerfile        (needs the jars: --apps)
#   tokenrail/sse-gateway:dev       sse-gateway/Dockerfile            (needs the jars: --apps)
#
# Usage: scripts/build-images.sh [--apps]
# Then use them with:  eval "$(scripts/build-images.sh --print-env)"
# With a registry none of this is needed: the defaults are the official images.
set -euo pipefail
cd "$(dirname "$0")/.."

JRE_IMAGE=tokenrail/jre-base:17
NGINX_IMAGE=tokenrail/nginx-base:bookworm-njs
KAFKA_IMAGE=tokenrail/kafka-standin:4.1.1
WORKER_IMAGE=tokenrail/producer-worker:dev
GATEWAY_IMAGE=tokenrail/sse-gateway:dev

print_env() {
  cat <<ENV
export TOKENRAIL_BASE_IMAGE=$JRE_IMAGE
export TOKENRAIL_KAFKA_IMAGE=$KAFKA_IMAGE
export BASE_IMAGE=$JRE_IMAGE
export KAFKA_IMAGE=$KAFKA_IMAGE
export LB_IMAGE=$NGINX_IMAGE
export WORKER_IMAGE=$WORKER_IMAGE
export GATEWAY_IMAGE=$GATEWAY_IMAGE
ENV
}
if [ "${1:-}" = "--print-env" ]; then print_env; exit 0; fi

log() { printf '[build-images] %s\n' "$*" >&2; }
have_image() { docker image inspect "$1" >/dev/null 2>&1; }
# Runs a command showing its output only when it fails.
quiet() { local out; out=$(mktemp); if "$@" >"$out" 2>&1; then rm -f "$out"; else cat "$out" >&2; rm -f "$out"; return 1; fi; }

# The Debian mirror this machine's apt already uses.
debian_mirror() {
  local uri
  uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | sed -n 1p)
  [ -n "$uri" ] || uri=$(grep -hs '^deb ' /etc/apt/sources.list | awk '{print $2}' | sed -n 1p)
  echo "${uri:-http://deb.debian.org/debian}"
}

# debootstrap a minimal Debian 12 root filesystem with some packages and import it as an image.
debootstrap_image() { # image packages change...
  local image=$1 packages=$2; shift 2
  local root
  root=$(mktemp -d /tmp/rootfs.XXXXXX)
  log "debootstrap $image ($packages) from $(debian_mirror)"
  debootstrap --variant=minbase --include="$packages" bookworm "$root" "$(debian_mirror)" >/tmp/debootstrap-"${image//[\/:]/_}".log
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  local changes=()
  for c in "$@"; do changes+=(--change "$c"); done
  tar -C "$root" -c . | docker import "${changes[@]}" - "$image" >/dev/null
  rm -rf "$root"
}

if have_image "$JRE_IMAGE"; then log "$JRE_IMAGE present"; else
  debootstrap_image "$JRE_IMAGE" openjdk-17-jre-headless \
    'ENV JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64' 'CMD ["java", "-version"]'
fi

if have_image "$NGINX_IMAGE"; then log "$NGINX_IMAGE present"; else
  # With njs (libnginx-mod-http-js), which the official image ships too: docker/nginx routes by conversation with it.
  debootstrap_image "$NGINX_IMAGE" nginx,libnginx-mod-http-js 'CMD ["nginx", "-g", "daemon off; error_log /dev/stderr;"]'
fi

if have_image "$KAFKA_IMAGE"; then log "$KAFKA_IMAGE present"; else
  log "gathering Kafka's jars from Maven Central"
  ./mvnw -q -B -f docker/kafka/pom.xml dependency:copy-dependencies
  quiet docker build -q --build-arg BASE_IMAGE="$JRE_IMAGE" -t "$KAFKA_IMAGE" docker/kafka
fi

if [ "${1:-}" = "--apps" ]; then
  for module in producer-worker sse-gateway; do
    [ -f "$module/target/$module.jar" ] || { log "$module/target/$module.jar missing: run ./mvnw -q -DskipTests package"; exit 1; }
  done
  quiet docker build -q --build-arg BASE_IMAGE="$JRE_IMAGE" -t "$WORKER_IMAGE" producer-worker
  quiet docker build -q --build-arg BASE_IMAGE="$JRE_IMAGE" -t "$GATEWAY_IMAGE" sse-gateway
fi

docker images --format '{{.Repository}}:{{.Tag}}\t{{.Size}}' | grep '^tokenrail/' >&2
