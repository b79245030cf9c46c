#!/usr/bin/env bash
# The postgrest-js yardstick (issue 13): supabase/postgrest-js's own jest suite, assertions
# unchanged, run against MagGate instead of PostgREST. Fetches nothing itself.
#
#   bench/postgrest-js-suite.sh /path/to/postgrest-js-checkout [jest args…]
#
# Needs: a checkout of supabase/postgrest-js with `npm ci` done in it; PostGIS on the Postgres
# server (Debian: postgresql-15-postgis-3); `npm run build` done in this repo.
# Steps: (1) drop and recreate the database $PGJS_DB (default postgrest_js_b13; the suite's
# snapshots depend on a fresh database), load test/db/*.sql (with the Supabase roles and
# `extensions` schema those files expect); (2) boot a node (bench/postgrest-js-node.ts) with
# project `pgjs`, Postgres source `db` on that database, an owner key and raised rate limits;
# (3) copy the checkout's tests into a scratch copy whose REST_URL is MagGate's
# /rest/v1/pgjs/db for both of its server URLs (the proxy there adds the owner key; the only
# change to the files);
# (4) run jest there and print passed/failed counts. The node is stopped at the end.
set -euo pipefail
CHECKOUT=${1:?usage: $0 /path/to/postgrest-js-checkout [jest args]}
shift
REPO=$(cd "$(dirname "$0")/.." && pwd)
PGHOST=${PGHOST:-127.0.0.1}
PGJS_DB=${PGJS_DB:-postgrest_js_b13}
PG="psql -q -v ON_ERROR_STOP=1 -h $PGHOST -U postgres"
WORK=$(mktemp -d /tmp/pgjs-suite-XXXXXX)

# (1) a fresh database
$PG -d postgres -c "DROP DATABASE IF EXISTS $PGJS_DB WITH (FORCE)" -c "CREATE DATABASE $PGJS_DB"
$PG -d "$PGJS_DB" <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'anon') THEN CREATE ROLE anon NOLOGIN; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN CREATE ROLE authenticated NOLOGIN; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'service_role') THEN CREATE ROLE service_role NOLOGIN; END IF;
END $$;
SQL
for f in "$CHECKOUT"/test/db/*.sql; do
  PGOPTIONS='-c search_path=public,extensions' $PG -d "$PGJS_DB" -f "$f" >/dev/null
done
$PG -d "$PGJS_DB" -c "ALTER DATABASE $PGJS_DB SET search_path = public, extensions"

# (2) the node
node "$REPO/dist/bench/postgrest-js-node.js" "postgres://postgres@$PGHOST:5432/$PGJS_DB" "$WORK/node.json" 2>"$WORK/node.log" &
NODE_PID=$!
trap 'kill $NODE_PID 2>/dev/null || true; wait $NODE_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do [ -s "$WORK/node.json" ] && break; sleep 0.5; done
URL=$(node -e "console.log(require('$WORK/node.json').url)")
KEY=$(node -e "console.log(require('$WORK/node.json').key)")

# (3) a scratch copy of the checkout pointed at MagGate
cp -a "$CHECKOUT"/. "$WORK/suite"
cd "$WORK/suite"
# Both servers of its docker-compose (PostgREST 12 on :3000, 13 on :3001, one database) are MagGate.
grep -rlE "http://localhost:300[01]" test | xargs sed -i -E "s#http://localhost:300[01]#$URL#g"
# (4) the suite
set +e
npx jest --runInBand --ci --json --outputFile="$WORK/result.json" "$@" > "$WORK/jest.log" 2>&1
set -e
node -e "
const r=require('$WORK/result.json');
console.log('passed', r.numPassedTests, 'failed', r.numFailedTests, 'total', r.numTotalTests);
for (const f of r.testResults) for (const t of f.assertionResults) if (t.status==='failed') console.log('FAIL', f.name.split('/').pop(), '::', t.fullName);
"
echo "details: $WORK/jest.log $WORK/result.json $WORK/node.log (the node's warnings)"
