# PID 1 of the demo app. busybox httpd ignores SIGTERM when it is PID 1, so this
# shell owns the signals: on TERM or INT it stops httpd and exits 0 at once.
mkdir -p /www/cgi-bin
echo "demo $DEMO_VERSION $(hostname)" > /www/index.html
cp /sleep.cgi /www/cgi-bin/sleep
cp /echo.cgi /www/cgi-bin/echo
case "$DEMO_MODE" in
    ready) echo ok > /www/health ;;
    slow) (sleep "$DEMO_HEALTHY_AFTER" && echo ok > /www/health) & ;;
    broken) ;;
esac
httpd -f -p 8080 -h /www &
httpd_pid=$!
trap 'kill "$httpd_pid" 2>/dev/null; exit 0' TERM INT
wait "$httpd_pid"
