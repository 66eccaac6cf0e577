#!/usr/bin/env bash
# Brings docker-compose.yml up (with the stand-in images where they are set), streams a conversation of each
# gateway group through the one front door (nginx routes it to its group: no redirect), follows one redirect
# from the wrong group, and takes everything down again.
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
compose -p "$project" up -d --no-build --scale producer-worker=2 \
  --scale sse-gateway-a=2 --scale sse-gateway-b=2 >/dev/null 2>&1
# Ready when each gateway group is (by its prefix: /ready without one reaches either group). The polls carry the
# token in the query as a stream would: while the gateways start, nginx fails to reach them and its error log would
# quote each request line, token and all - the log check below catches that.
for _ in $(seq 1 120); do
  curl -sf "localhost:$port/groups/a/ready?access_token=$token" >/dev/null \
    && curl -sf "localhost:$port/groups/b/ready?access_token=$token" >/dev/null && break
  sleep 1
done
for g in a b; do
  curl -sf "localhost:$port/groups/$g/ready" >/dev/null \
    || { compose -p "$project" logs --tail 50; echo "compose smoke: group $g not ready"; exit 1; }
done
echo "compose smoke: ready through the load balancer in $(( $(date +%s) - started )) s"
nodes=$(curl -s "localhost:$port/ready" | sed -n 's/.*"kafkaNodes":\([0-9]*\).*/\1/p')
[ "$nodes" = "${TOKENRAIL_SMOKE_KAFKA_NODES:-1}" ] \
  || { echo "compose smoke: FAILED (the gateway sees $nodes Kafka nodes, not ${TOKENRAIL_SMOKE_KAFKA_NODES:-1})"; exit 1; }

status=$(curl -s -o /dev/null -w '%{http_code}' "localhost:$port/api/conversations/smoke-1")
[ "$status" = 401 ] || { echo "compose smoke: FAILED (no token got $status, not 401)"; exit 1; }
# A conversation of each group (the subject is part of its key): asked of group A by its prefix, a conversation of
# group B is redirected (307) to /groups/b.
group_of() {
  case $(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "localhost:$port/groups/a/api/conversations/$1") in
    307) echo b ;; 404|200) echo a ;; *) echo "?" ;;
  esac
}
conversation_a=; conversation_b=
for i in $(seq 1 40); do
  case $(group_of "smoke-$i") in
    a) conversation_a=${conversation_a:-smoke-$i} ;;
    b) conversation_b=${conversation_b:-smoke-$i} ;;
    *) echo "compose smoke: FAILED (smoke-$i answered neither as group A nor as B)"; exit 1 ;;
  esac
  [ -n "$conversation_a" ] && [ -n "$conversation_b" ] && break
done
[ -n "$conversation_a" ] && [ -n "$conversation_b" ] || { echo "compose smoke: FAILED (no conversation of each group)"; exit 1; }

# Streams a conversation through the front door: 25 tokens and done, or the smoke fails.
stream_through_front_door() { # conversation
  : > "$out"
  # The stream takes its token as a browser's EventSource sends it: in the query string.
  curl -sN --max-time 60 "localhost:$port/api/conversations/$1/events?access_token=$token" > "$out" &
  local reader=$!
  # The stream carries events from the moment it is open: wait for the gateway's opening comment.
  for _ in $(seq 1 50); do grep -q ': connected' "$out" && break; sleep 0.1; done
  curl -sf -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d '{"text":"#tokens=25 compose smoke"}' \
    "localhost:$port/api/conversations/$1/messages" >/dev/null
  for _ in $(seq 1 300); do grep -q '^event: done' "$out" && break; sleep 0.1; done
  kill "$reader" 2>/dev/null || true
  local tokens
  tokens=$(grep -c '^event: token' "$out" || true)
  if [ "$tokens" != 25 ] || ! grep -q '^event: done' "$out"; then
    echo "compose smoke: FAILED ($1: tokens=$tokens)"; cat "$out"; compose -p "$project" logs --tail 50; exit 1
  fi
}
stream_through_front_door "$conversation_a"
stream_through_front_door "$conversation_b"
# The AI SDK's POST /api/chat names its chat in the body: nginx reads it there and routes to the chat's group. A chat
# of each group, so that a router ignoring the body (any group, half the time right) fails here.
chat_through_front_door() { # chat id
  local body chat deltas
  body="{\"id\":\"$1\",\"messages\":[{\"id\":\"m1\",\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"text\":\"#tokens=7 chat\"}]}]}"
  chat=$(curl -s --max-time 60 -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "$body" \
    "localhost:$port/api/chat")
  deltas=$(grep -o '"type":"text-delta"' <<<"$chat" | wc -l)
  [ "$deltas" = 7 ] && grep -q '"type":"finish"' <<<"$chat" \
    || { echo "compose smoke: FAILED (POST /api/chat for $1 through nginx: $deltas text deltas)"; echo "$chat" | head -5; exit 1; }
}
chat_a=; chat_b=
for i in $(seq 1 40); do
  case $(group_of "chat-smoke-$i") in
    a) chat_a=${chat_a:-chat-smoke-$i} ;;
    b) chat_b=${chat_b:-chat-smoke-$i} ;;
  esac
  [ -n "$chat_a" ] && [ -n "$chat_b" ] && break
done
chat_through_front_door "$chat_a"
chat_through_front_door "$chat_b"
# Each message was accepted by a gateway of its own group, reached without a redirect.
for g in a b; do
  c=$conversation_a; [ "$g" = b ] && c=$conversation_b
  # The logs in a variable first: grep -q stops reading at its match, and pipefail would count compose's SIGPIPE.
  group_log=$(compose -p "$project" logs "sse-gateway-$g" 2>&1)
  grep -q "Accepted: conversationId=$c " <<<"$group_log" \
    || { echo "compose smoke: FAILED (no gateway of group $g accepted $c)"; exit 1; }
done
logged=$(compose -p "$project" logs lb 2>&1)
if grep -E "\"[A-Z]+ /api/(conversations/($conversation_a|$conversation_b)/(events|messages)|chat) [^\"]*\" 307" <<<"$logged"; then
  echo "compose smoke: FAILED (nginx's router sent a request to the wrong group: it was redirected)"; exit 1
fi
# Sent to the wrong group on purpose, a request is redirected and completes.
redirected=$(curl -sL -o /dev/null -w '%{http_code} %{num_redirects}' -H "Authorization: Bearer $token" \
  "localhost:$port/groups/a/api/conversations/$conversation_b")
[ "$redirected" = "200 1" ] || { echo "compose smoke: FAILED (group B's conversation from group A: $redirected, not 200 after 1 redirect)"; exit 1; }

logged=$(compose -p "$project" logs lb 2>&1)
if ! grep -q "GET /api/conversations/$conversation_a/events " <<<"$logged"; then
  echo "compose smoke: FAILED (the load balancer's access log has no line for the stream)"; exit 1
fi
if grep -qF "$token" <<<"$logged" || grep -q 'access_token' <<<"$logged"; then
  echo "compose smoke: FAILED (the load balancer's log shows the bearer token in these lines)"
  grep -F -e "$token" -e access_token <<<"$logged" | sed "s/$token/<token>/g"; exit 1
fi
echo "compose smoke: 401 without a token; with one (in the query, as EventSource sends it, and kept out of the access log), 25 tokens and done for $conversation_a (group A) and $conversation_b (group B) and a POST /api/chat of each group through nginx with no redirect, one 307 followed from the wrong group; 2 groups of 2 gateways, 2 workers, $nodes Kafka node(s)"
