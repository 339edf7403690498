#!/bin/sh
# A stand-in for the cdktf CLI (see fake-cdktf.ts). Records each call to $FAKE_CDKTF_LOG as one JSON
# line; `deploy <stack> ... --outputs-file <f>` waits $FAKE_CDKTF_DELAY_MS, fails if <stack> is in
# $FAKE_CDKTF_FAIL (comma-separated), else writes <f> with the stack's endpoint-url from
# $FAKE_URL_<stack with - as _>. Exits 130 on SIGINT.
now() { date +%s%3N; }
start=$(now)
command="$1"
stack="$2"
args=""
for a in "$@"; do args="$args,\"$a\""; done
args="[${args#,}]"
record() { printf '{"args":%s,"start":%s,"end":%s,"code":%s%s}\n' "$args" "$start" "$(now)" "$1" "$2" >> "$FAKE_CDKTF_LOG"; }
sleeper=""
trap '[ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null; record 130 ",\"signal\":\"SIGINT\""; exit 130' INT
if [ "$command" = deploy ]; then
  ms=${FAKE_CDKTF_DELAY_MS:-0}
  if [ "$ms" -gt 0 ]; then
    sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))" &
    sleeper=$!
    wait "$sleeper"
  fi
  case ",$FAKE_CDKTF_FAIL," in
    *",$stack,"*) echo "Error: $stack failed to apply (stand-in)" >&2; record 1; exit 1 ;;
  esac
  out=""
  previous=""
  for a in "$@"; do [ "$previous" = "--outputs-file" ] && out="$a"; previous="$a"; done
  var="FAKE_URL_$(printf '%s' "$stack" | tr -- '-' '_')"
  url=$(printenv "$var")
  if [ -n "$url" ]; then
    printf '{"%s":{"endpoint-url":"%s","function-name":"fn"}}\n' "$stack" "$url" > "$out"
  else
    printf '{"%s":{}}\n' "$stack" > "$out"
  fi
  echo "$stack  Apply complete! (stand-in)"
fi
record 0
