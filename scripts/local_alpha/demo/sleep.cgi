#!/bin/sh
# GET /cgi-bin/sleep?SECONDS answers after SECONDS: a request still in flight.
sleep "${QUERY_STRING:-1}"
printf 'Content-Type: text/plain\r\n\r\nslept %s on %s\n' "${QUERY_STRING:-1}" "$(hostname)"
