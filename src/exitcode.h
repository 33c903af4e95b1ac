/*
 * exitcode.h - the exit statuses deskgate gives postfix's pipe(8).
 *
 * postfix (src/global/sys_exits.c) bounces every status except 0 and
 * EX_TEMPFAIL, so anything that is our fault or transient must be 75.
 * Before a non-zero exit deskgate prints exactly one line that begins
 * with an enhanced status code; pipe(8) puts it into the DSN and lets it
 * decide between defer (4.x.x) and bounce (5.x.x).
 */
#ifndef DESK_EXITCODE_H
#define DESK_EXITCODE_H

#include <sysexits.h>

#define DESK_EXIT_OK		0		/* stored, or knowingly dropped */
#define DESK_EXIT_TEMPFAIL	EX_TEMPFAIL	/* 75: postfix retries */
#define DESK_EXIT_NOPERM	EX_NOPERM	/* 77: guard rejection (5.7.1) */
#define DESK_EXIT_NOUSER	EX_NOUSER	/* 67: not an address we serve */
#define DESK_EXIT_TOOBIG	EX_UNAVAILABLE	/* 69: with a 5.3.4 text */

#endif
