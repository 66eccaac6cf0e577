#!/usr/bin/env bash
# Mints an HS256 bearer token for the gateway, as an identity provider would: for local use, the
# docker-compose setup and its smoke test. Needs only openssl.
#
#   TOKENRAIL_JWT_SECRET=... scripts/mint-token.sh alice [ttl-seconds, default 3600]
#
# The secret comes from the environment, else from .env. TOKENRAIL_JWT_ISSUER and TOKENRAIL_JWT_AUDIENCE,
# when set, go into the token as iss and aud.
set -euo pipefail
cd "$(dirname "$0")/.."
subject=${1:?usage: scripts/mint-token.sh SUBJECT [TTL_SECONDS]}
ttl=${2:-3600}
[[ "$subject" =~ ^[A-Za-z0-9@._:-]{1,128}$ ]] || { echo "subject: letters, digits and @._:- only" >&2; exit 2; }
[[ "$ttl" =~ ^[0-9]{1,9}$ ]] || { echo "ttl: seconds" >&2; exit 2; }
if [ -z "${TOKENRAIL_JWT_SECRET:-}" ] && [ -f .env ]; then
  TOKENRAIL_JWT_SECRET=$(sed -n 's/^TOKENRAIL_JWT_SECRET=//p' .env | tail -1)
fi
secret=${TOKENRAIL_JWT_SECRET:?set TOKENRAIL_JWT_SECRET (32+ characters), in the environment or .env}

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
now=$(date +%s)
claims="\"sub\":\"$subject\",\"iat\":$now,\"exp\":$((now + ttl))"
[ -n "${TOKENRAIL_JWT_ISSUER:-}" ] && claims="$claims,\"iss\":\"$TOKENRAIL_JWT_ISSUER\""
[ -n "${TOKENRAIL_JWT_AUDIENCE:-}" ] && claims="$claims,\"aud\":\"$TOKENRAIL_JWT_AUDIENCE\""
header=$(printf '{"alg":"HS256","typ":"JWT"}' | b64url)
payload=$(printf '{%s}' "$claims" | b64url)
signature=$(printf '%s.%s' "$header" "$payload" | openssl dgst -sha256 -hmac "$secret" -binary | b64url)
echo "$header.$payload.$signature"
