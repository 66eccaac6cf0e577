#!/usr/bin/env bash
# Brings docker-compose.yml up (with the stand-in images where they are set), sends one message
# through the load balancer, reads its whole stream, and takes everything down again.
# COMPOSE_FILE=docker-compose.yml:docker-compose.kafka3.yml runs it on three brokers; the gateway's /ready
# must then count TOKENRAIL_SMOKE_KAFKA_NODES (default 1) Kafka nodes.
# Needs Docker, docker-compose, and the app images (scripts/build-images.sh --apps) or a registry.
set -euo pipefail
cd "$(dirname "$0")/.."

compose() { if command -v docker-compose >/dev/null; then docker-compose "$@"; else docker compose "$@"; fi; }
project=tokenrail-smoke-$$
port=${TOKENRAIL_HTTP_PORT:-18080}
export TOKENRAIL_HTTP_PORT=$port
# Authentication is on in docker-compose.yml: a secret for this run, and a token minted with it.
export TOKENRAIL_JWT_SECRET=${TOKENRAIL_JWT_SECRET:-$(openssl rand -hex 32)}
token=$(scripts/mint-token.sh smoke-user 600)
out=$(mktemp)
cleanup() { compose -p "$project" down -v --remove-orphans >/dev/null 2>&1 || true; rm -f "$out"; }
trap cleanup EXIT

compose -p "$project" config -q
started=$(date +%s)
compose -p "$project" up -d --no-build --scale producer-worker=2 --scale sse-gateway=2 >/dev/null 2>&1
# The polls carry the token in the query as a stream would: while the gateways start, nginx fails to reach
# them and its error log would quote each request line, token and all - the log check below catches that.
for _ in $(seq 1 120); do
  curl -sf "localhost:$port/ready?access_token=$token" >/dev/null && break
  sleep 1
done
curl -sf "localhost:$port/ready" >/dev/null || { compose -p "$project" logs --tail 50; echo "compose smoke: not ready"; exit 1; }
echo "compose smoke: ready through the load balancer in $(( $(date +%s) - started )) s"
nodes=$(curl -s "localhost:$port/ready" | sed -n 's/.*"kafkaNodes":\([0-9]*\).*/\1/p')
[ "$nodes" = "${TOKENRAIL_SMOKE_KAFKA_NODES:-1}" ] \
  || { echo "compose smoke: FAILED (the gateway sees $nodes Kafka nodes, not ${TOKENRAIL_SMOKE_KAFKA_NODES:-1})"; exit 1; }

status=$(curl -s -o /dev/null -w '%{http_code}' "localhost:$port/api/conversations/smoke-1")
[ "$status" = 401 ] || { echo "compose smoke: FAILED (no token got $status, not 401)"; exit 1; }
# The stream takes its token as a browser's EventSource sends it: in the query string.
curl -sN --max-time 60 "localhost:$port/api/conversations/smoke-1/events?access_token=$token" > "$out" &
reader=$!
# The stream carries events from the moment it is open: wait for the gateway's opening comment.
for _ in $(seq 1 50); do grep -q ': connected' "$out" && break; sleep 0.1; done
curl -sf -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d '{"text":"#tokens=25 compose smoke"}' \
  "localhost:$port/api/conversations/smoke-1/messages" >/dev/null
for _ in $(seq 1 300); do grep -q '^event: done' "$out" && break; sleep 0.1; done
kill "$reader" 2>/dev/null || true

tokens=$(grep -c '^event: token' "$out" || true)
logged=$(compose -p "$project" logs lb 2>&1)
if ! grep -q 'GET /api/conversations/smoke-1/events ' <<<"$logged"; then
  echo "compose smoke: FAILED (the load balancer's access log has no line for the stream)"; exit 1
fi
if grep -qF "$token" <<<"$logged" || grep -q 'access_token' <<<"$logged"; then
  echo "compose smoke: FAILED (the load balancer's log shows the bearer token in these lines)"
  grep -F -e "$token" -e access_token <<<"$logged" | sed "s/$token/<token>/g"; exit 1
fi
if [ "$tokens" = 25 ] && grep -q '^event: done' "$out"; then
  echo "compose smoke: 401 without a token; with one (in the query, as EventSource sends it, and kept out of the access log), 25 tokens and done through nginx, 2 gateways, 2 workers, $nodes Kafka node(s)"
else
  echo "compose smoke: FAILED (tokens=$tokens)"; cat "$out"; compose -p "$project" logs --tail 50; exit 1
fi
