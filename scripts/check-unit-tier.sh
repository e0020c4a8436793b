#!/usr/bin/env bash
# Runs the unit tier (vitest's `unit` project, as `npm run test:unit` does) and fails if it started a local
# engine: a java (DynamoDB Local, javac) or moto process of this run, seen at any point while it ran.
set -uo pipefail
cd "$(dirname "$0")/.."

# Every process of this run inherits this marker, so engines of other runs on the machine do not count.
export BATCHKEEPER_UNIT_CHECK="unit-$$-$(date +%s)"

engines() {
  ps axeww -o pid=,stat=,args= |
    awk -v mark="BATCHKEEPER_UNIT_CHECK=$BATCHKEEPER_UNIT_CHECK" '$2 !~ /^Z/ && index($0, mark) > 0' |
    grep -E '^ *[0-9]+ +[^ ]+ +([^ ]*/)?(java|javac|python[0-9.]*|moto_server) ' |
    awk '{ print $1, $3, $4 }' || true
}

npx vitest run --project unit "$@" &
runner=$!
seen=''
while kill -0 "$runner" 2>/dev/null; do
  seen+="$(engines)"$'\n'
  sleep 0.2
done
wait "$runner"
status=$?
seen+="$(engines)"
seen="$(echo "$seen" | grep -v '^$' | sort -u -k1,1n)"

if [ -n "$seen" ]; then
  echo "FAIL: the unit tier started local engines (pid, command, first argument):"
  echo "$seen"
  exit 1
fi
echo "unit tier: no java or moto process started"
exit "$status"
