/*
 * xen/control: the toolstack's requests to the domain through xenstore's control/ directory.
 * `xl shutdown` writes "poweroff" to control/shutdown, `xl reboot` writes "reboot"; a fiber
 * watching the node acknowledges by clearing it (as the toolstack expects of a PV-aware guest)
 * and asks the kernel to stop: lifecycle_request_shutdown gives the application its grace
 * period, kernel_exit runs the shutdown hooks, and platform_shutdown ends the domain with
 * SHUTDOWN_poweroff or SHUTDOWN_reboot. `xl save`, `xl migrate` and checkpoints write
 * "suspend": the fiber acknowledges it the same way and suspends the domain itself
 * (xen/suspend.h), coming back when the domain is resumed or the suspend cancelled.
 * control/feature-poweroff, feature-reboot and feature-suspend announce that the guest
 * handles these. `xl sysrq DOMAIN b` (control/sysrq) prints the log of the
 * vCPU's last idle blocks (xen/events_log.h); other keys are ignored with a warning.
 */
#ifndef XENOLITH_XEN_CONTROL_H
#define XENOLITH_XEN_CONTROL_H

/* Starts the control fiber. Needs xenstore. 0 or a negative errno. */
int xen_control_start(void);

#endif
