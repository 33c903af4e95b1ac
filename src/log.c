/*
 * log.c - one place that decides where log lines go.
 *
 * Lines are single-line by construction: callers pass sender-controlled
 * text through log_field() first.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

enum log_sink { LOG_SINK_SYSLOG, LOG_SINK_STDERR, LOG_SINK_FILE };

static enum log_sink log_sink = LOG_SINK_STDERR;
static FILE *log_file;
static char *log_progname;
static bool log_verbose;

void
log_open(const char *progname, const char *target)
{
	g_free(log_progname);
	log_progname = g_strdup(progname);
	if (target == NULL || strcmp(target, "syslog") == 0) {
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_MAIL);
		log_sink = LOG_SINK_SYSLOG;
	} else if (strcmp(target, "stderr") == 0) {
		log_sink = LOG_SINK_STDERR;
	} else {
		log_file = fopen(target, "a");
		if (log_file == NULL) {
			int saved = errno;

			openlog(progname, LOG_PID | LOG_NDELAY, LOG_MAIL);
			log_sink = LOG_SINK_SYSLOG;
			syslog(LOG_WARNING, "fopen(%s) failed: %s", target,
			    strerror(saved));
			return;
		}
		setvbuf(log_file, NULL, _IOLBF, 0);
		log_sink = LOG_SINK_FILE;
	}
}

void
log_close(void)
{
	if (log_sink == LOG_SINK_SYSLOG)
		closelog();
	if (log_file != NULL)
		fclose(log_file);
	log_file = NULL;
	log_sink = LOG_SINK_STDERR;
	g_free(log_progname);
	log_progname = NULL;
}

void
log_set_verbose(bool verbose)
{
	log_verbose = verbose;
}

static void
log_vwrite(int priority, const char *fmt, va_list ap)
{
	static const char *const names[] = {
		[LOG_DEBUG] = "debug", [LOG_INFO] = "info",
		[LOG_WARNING] = "warning", [LOG_ERR] = "error",
	};
	char *line;
	FILE *out;

	if (priority == LOG_DEBUG && !log_verbose)
		return;
	if (log_sink == LOG_SINK_SYSLOG) {
		vsyslog(priority, fmt, ap);
		return;
	}
	line = g_strdup_vprintf(fmt, ap);
	out = log_sink == LOG_SINK_FILE ? log_file : stderr;
	if (log_sink == LOG_SINK_FILE) {
		char stamp[32];
		time_t now = time(NULL);
		struct tm tm;

		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S",
		    gmtime_r(&now, &tm));
		fprintf(out, "%s %s[%ld]: %s: %s\n", stamp,
		    log_progname ? log_progname : "deskgate", (long)getpid(),
		    names[priority], line);
	} else {
		fprintf(out, "%s: %s: %s\n",
		    log_progname ? log_progname : "deskgate", names[priority],
		    line);
	}
	g_free(line);
}

#define LOG_FUNCTION(name, priority)			\
	void						\
	name(const char *fmt, ...)			\
	{						\
		va_list ap;				\
		va_start(ap, fmt);			\
		log_vwrite(priority, fmt, ap);		\
		va_end(ap);				\
	}

LOG_FUNCTION(log_debug, LOG_DEBUG)
LOG_FUNCTION(log_info, LOG_INFO)
LOG_FUNCTION(log_warn, LOG_WARNING)
LOG_FUNCTION(log_err, LOG_ERR)

char *
log_field(const char *s)
{
	GString *out;
	const unsigned char *p;

	if (s == NULL)
		return g_strdup("");
	out = g_string_new(NULL);
	for (p = (const unsigned char *)s; *p != '\0' && out->len < 200; p++)
		g_string_append_c(out, (*p < 0x20 || *p == 0x7f) ? '?' : *p);
	return g_string_free(out, FALSE);
}
