# xen-save-restore: `xl save` and `xl restore` of the echo appliance and of httpd. Each is saved
# to a file in dom0 (the domain is gone), then restored as a new domain, which resumes (its
# SCHEDOP_shutdown(SHUTDOWN_suspend) returns 0 there) and must rebuild what the new domain has
# fresh: shared_info, event channels, grant table, console and xenstore, and reconnect netfront
# (and httpd's blkfront) to new backends. Checks (xentest.sh's xt_suspend_* helpers): a TCP
# connection to the echo service opened before the save carries 512 KB checked end to end after
# the restore; ping answers; the address was announced; httpd serves every file of its site
# (read through the reconnected blkfront) intact to curl; the uptime each guest printed at the
# resume is not below the one at the suspend; both power off cleanly on `xl shutdown`.
# images: echo httpd
# timeout: 420
save_restore() {
    rm -f "/tmp/$1.save"
    xl save "$1" "/tmp/$1.save" || xt_fail "xl save $1 failed"
    xl domid "$1" >/dev/null 2>&1 && xt_fail "$1 is still there after xl save"
    xl restore "/tmp/$1.save" || xt_fail "xl restore $1 failed"
    rm -f "/tmp/$1.save"
}
xt_suspend_echo_start ssave 32
save_restore ssave
xt_suspend_echo_check ssave 32
echo_result=$XT_MOVED
xt_suspend_httpd_start shttpd 33
save_restore shttpd
xt_suspend_httpd_check shttpd 33
xt_pass "$echo_result; $XT_MOVED"
