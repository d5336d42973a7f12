#!/usr/bin/env bash
# Signs a Midtrans payment notification the way Midtrans does: lowercase hex SHA-512 of
# order_id + status_code + gross_amount + server key, with gross_amount exactly as it will be sent ("3800000.00").
#
# Usage: scripts/sign-callback.sh [--json] ORDER_ID STATUS_CODE GROSS_AMOUNT [SERVER_KEY]
#   SERVER_KEY defaults to local-dev-server-key, the key scripts/run.sh and docker-compose.yml configure.
#   --json prints a whole notification body to POST to /payments/callback instead of the signature alone:
#   status code 200 is a settlement, 201 pending, 202 expire.
#
# Example: scripts/sign-callback.sh --json "$ORDER_ID" 200 3800000.00 |
#            curl -s -H 'Content-Type: application/json' --data-binary @- http://localhost:8080/payments/callback
set -euo pipefail

usage() { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2; exit "${1:-2}"; }

json=0
args=()
for arg in "$@"; do
  case "$arg" in
    --json) json=1 ;;
    -h|--help) usage 0 ;;
    -*) echo "sign-callback.sh: unknown option $arg" >&2; usage ;;
    *) args+=("$arg") ;;
  esac
done
[ ${#args[@]} -ge 3 ] && [ ${#args[@]} -le 4 ] || usage

order_id=${args[0]}
status_code=${args[1]}
gross_amount=${args[2]}
server_key=${args[3]:-local-dev-server-key}

if command -v sha512sum >/dev/null 2>&1; then
  signature=$(printf '%s' "$order_id$status_code$gross_amount$server_key" | sha512sum | cut -d' ' -f1)
else
  # macOS has no sha512sum; openssl prints "(stdin)= <hex>" or "SHA2-512(stdin)= <hex>".
  signature=$(printf '%s' "$order_id$status_code$gross_amount$server_key" | openssl dgst -sha512 | sed 's/^.*= //')
fi

if [ $json = 0 ]; then
  echo "$signature"
  exit 0
fi

case "$status_code" in
  200) transaction_status=settlement ;;
  201) transaction_status=pending ;;
  202) transaction_status=expire ;;
  *) echo "sign-callback.sh: --json knows status codes 200 (settlement), 201 (pending) and 202 (expire)" >&2; exit 2 ;;
esac

# JSON strings: escape backslashes and quotes (ids and amounts have no other special characters).
quote() { local s=${1//\\/\\\\}; printf '"%s"' "${s//\"/\\\"}"; }

now=$(date -u '+%Y-%m-%d %H:%M:%S')
settlement_time=""
[ "$transaction_status" = settlement ] && settlement_time=$(printf ',\n  "settlement_time": %s' "$(quote "$now")")
cat <<JSON
{
  "transaction_time": $(quote "$now"),
  "transaction_status": $(quote "$transaction_status"),
  "transaction_id": $(quote "local-$order_id"),
  "status_message": "midtrans payment notification",
  "status_code": $(quote "$status_code"),
  "signature_key": $(quote "$signature"),
  "payment_type": "bank_transfer",
  "order_id": $(quote "$order_id"),
  "merchant_id": "G000000000",
  "gross_amount": $(quote "$gross_amount"),
  "fraud_status": "accept",
  "currency": "IDR"$settlement_time
}
JSON
