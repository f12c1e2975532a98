#!/usr/bin/env bash
# Fuzz the REST API with schemathesis against a live gunicorn, signed in with a curator's token.
# Bounded: --max-examples per operation and --max-time for the whole run. Prints schemathesis' summary
# (operations, test cases, server errors, schema-conformance failures) and keeps its JSON report.
#
#   bash bench/fuzz.sh                       # embedded default: a fresh SQLite file + filesystem broker
#   DATABASE_URL=postgres://... REDIS_URL=redis://... bash bench/fuzz.sh    # PostgreSQL + Redis (a scratch DB!)
#   FUZZ_EXAMPLES=25 FUZZ_SECONDS=600 bash bench/fuzz.sh
# It migrates the database it is given and adds a user "fuzzer" and a collection "fuzz": use a scratch one.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
examples=${FUZZ_EXAMPLES:-10}
seconds=${FUZZ_SECONDS:-900}
port=${FUZZ_PORT:-8765}
work=$(mktemp -d /tmp/palimpsest-fuzz-XXXXXX)
export PALIMPSEST_VAR_DIR=$work/var DEBUG=0 SECRET_KEY=fuzz-only-$RANDOM$RANDOM ALLOWED_HOSTS=127.0.0.1
export MEDIA_ROOT=$work/media JOB_RECOVER_ON_START=0 LOGIN_FAILURE_LIMIT=1000000 IIIF_FETCH_TIMEOUT=2
"$bin/python" manage.py migrate --noinput >/dev/null
token=$("$bin/python" manage.py shell -c "
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from archive.models import Collection, Membership, Document
from tests.inscription.helpers import make_lines, make_page
User = get_user_model()
user, _ = User.objects.get_or_create(username='fuzzer', defaults={'email': 'fuzz@example.org'})
coll, _ = Collection.objects.get_or_create(slug='fuzz', defaults={'title': 'Fuzz', 'owner': user})
Membership.objects.get_or_create(collection=coll, user=user, defaults={'role': 'owner'})
if not coll.documents.exists():
    doc = Document.objects.create(collection=coll, title='Fuzz letter', created_by=user)
    make_lines(make_page(doc), 3)
print(Token.objects.get_or_create(user=user)[0].key)
" | tail -n 1 | tr -d '[:space:]')
"$bin/gunicorn" palimpsest.wsgi:application --config gunicorn.conf.py --bind 127.0.0.1:$port \
  >"$work/web.log" 2>&1 &   # the settings of `make web`
web=$!
trap 'kill $web 2>/dev/null || true; wait $web 2>/dev/null || true' EXIT
for _ in $(seq 240); do  # the schema is fetched once (it takes seconds to build on a busy machine)
  curl -sf --max-time 120 -H "Accept: application/json" -o "$work/schema.json" "http://127.0.0.1:$port/api/schema/?format=json" && break
  sleep 0.5
done
backend=SQLite; [ -n "${DATABASE_URL:-}" ] && backend=PostgreSQL
echo "fuzzing http://127.0.0.1:$port ($backend, $examples examples per operation, at most ${seconds}s)"
set +e
"$bin/schemathesis" run "$work/schema.json" --url "http://127.0.0.1:$port" \
  --header "Authorization: Token $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples "$examples" --max-time "$seconds" --seed 20 --workers 1 --request-timeout 60 \
  --generation-codec utf-8 --suppress-health-check all --continue-on-failure --no-shrink \
  --report ndjson,junit --report-dir "$work/report" --output-truncate true 2>&1 | tee "$work/fuzz.out" | tail -80
rc=${PIPESTATUS[0]}
set -e
echo "server log: $work/web.log   report: $work/report   (schemathesis exit $rc)"
grep -c "Internal Server Error" "$work/web.log" | sed 's/^/server errors in the log: /' || true
exit $rc
