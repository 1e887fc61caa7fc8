# xen-migrate: live migration of the echo appliance and of httpd to the same host. With
# `xl migrate -s "" DOMAIN "xl migrate-receive"` xl runs the receiving side itself (no ssh):
# the domain's memory is copied while it runs, then it is asked to suspend (control/shutdown
# "suspend"), the rest is copied, and it resumes as a new domain (a new domain id) with new
# backends, which it must reconnect to (xentest.sh's xt_migrate_local; the console log of the
# new domain is xenconsoled's NAME--incoming). The same checks as xen-save-restore (xentest.sh's
# xt_suspend_* helpers): a TCP connection opened before the migration carries 512 KB checked
# end to end after it; ping answers; httpd serves every file of its site intact; the uptime did
# not go backwards; both power off cleanly.
# images: echo httpd
# timeout: 420
xt_suspend_echo_start smig 34
xt_migrate_local smig
xt_suspend_echo_check smig 34
echo_result=$XT_MOVED
xt_suspend_httpd_start smhttpd 35
xt_migrate_local smhttpd
xt_suspend_httpd_check smhttpd 35
xt_pass "$echo_result; $XT_MOVED"
