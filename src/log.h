/*
 * log.h - logging to syslog (the default), stderr or a file.
 *
 * deskgate runs under postfix, where stdout and stderr end up in bounce
 * messages; it therefore logs to syslog (LOG_MAIL) unless told otherwise.
 * A log file is for hosts without a syslog daemon (containers, tests).
 */
#ifndef DESK_LOG_H
#define DESK_LOG_H

#include <stdbool.h>
#include <glib.h>

/*
 * log_open - start logging as PROGNAME to TARGET: "syslog", "stderr" or an
 * absolute path of a file to append to. An unusable file falls back to
 * syslog with a warning there.
 */
void log_open(const char *progname, const char *target);
void log_close(void);
void log_set_verbose(bool verbose);

void log_debug(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void log_info(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void log_warn(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void log_err(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/*
 * log_field - a copy of S fit for a log line: control characters become
 * '?', and it is cut at 200 bytes. (transfer full)
 */
char *log_field(const char *s);

#endif
