# xen-migrate: live migration of the echo appliance and of httpd to the same host. With
# `xl migrate -s "" DOMAIN "xl migrate-receive"` xl runs the receiving side itself (no ssh):
# the domain's memory is copied while it runs, then it is asked to suspend (control/shutdown
# "suspend"), the rest is copied, and it resumes as a new domain (a new domain id) with new
# backends, which it must reconnect to. The same checks as xen-save-restore (xentest.sh's
# xt_suspend_* helpers): a TCP connection opened before the migration carries 512 KB checked
# end to end after it; ping answers; httpd serves every file of its site intact; the uptime did
# not go backwards; both power off cleanly.
# images: echo httpd
# timeout: 420
migrate() {
    local old
    old=$(xl domid "$1")
    xl migrate -s "" "$1" "xl migrate-receive" || xt_fail "xl migrate $1 failed"
    [ "$(xl domid "$1" 2>/dev/null)" != "$old" ] || xt_fail "$1 is still domain $old"
}
xt_suspend_echo_start smig 34
migrate smig
xt_suspend_echo_check smig 34
echo_result=$XT_MOVED
xt_suspend_httpd_start smhttpd 35
migrate smhttpd
xt_suspend_httpd_check smhttpd 35
xt_pass "$echo_result; $XT_MOVED"
