#!/bin/sh
# Any method on /cgi-bin/echo answers with what arrived: method, query, a few headers, body.
printf 'Content-Type: text/plain\r\n\r\n'
printf 'method=%s\nquery=%s\nhost=%s\nproto=%s\nserved-by=%s\n' \
    "$REQUEST_METHOD" "$QUERY_STRING" "$HTTP_HOST" "$HTTP_X_FORWARDED_PROTO" "$(hostname)"
if [ -n "$CONTENT_LENGTH" ]; then printf 'body='; head -c "$CONTENT_LENGTH"; echo; fi
