// The service manager's notification protocol (sd_notify(3)), for every daemon: READY once the
// listeners are up, STATUS lines saying what it is doing, WATCHDOG pings from the main loop, and
// STOPPING. Written against the protocol (a datagram to $NOTIFY_SOCKET, which systemd documents as
// stable) rather than libsystemd, so that core/ keeps no dependency but fmt.
//
// Outside systemd (no NOTIFY_SOCKET) every call does nothing. Thread-safe; a call never blocks
// (the socket is non-blocking; a notification that cannot be sent is dropped). The first call
// connects to the manager's socket: a daemon that drops privileges calls notify_enabled() (or
// any other) before it does.
#pragma once

#include <chrono>
#include <string_view>

namespace soc::systemd {

// True when the service manager asked for notifications (NOTIFY_SOCKET is set).
bool notify_enabled();

// READY=1, with a STATUS line when `status` is not empty.
void notify_ready(std::string_view status = {});
void notify_status(std::string_view status);
// RELOADING=1 / READY=1 around a reload, STOPPING=1 at the start of a shutdown.
void notify_reloading();
void notify_stopping();

// The watchdog interval systemd expects pings within (WATCHDOG_USEC, for this process when
// WATCHDOG_PID is set); zero when there is no watchdog.
std::chrono::microseconds watchdog_interval();

// WATCHDOG=1, at most once per quarter of the interval however often it is called: call it from
// every turn of the main loop. Does nothing without a watchdog.
void watchdog_ping();

// Reads the environment again on the next call (the environment is read once; for tests).
void reinitialise();

}  // namespace soc::systemd
