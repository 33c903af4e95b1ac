/*
 * error.h - the one GError domain of deskgate.
 *
 * The layer that sees a library's own error code decides which class it
 * belongs to; only main() turns the class into an exit status.
 */
#ifndef DESK_ERROR_H
#define DESK_ERROR_H

#include <glib.h>

#define DESK_ERROR (desk_error_quark())

enum desk_status {
	DESK_ERROR_TEMP,	/* transient: retry later (75) */
	DESK_ERROR_PERM,	/* permanent, caller's or operator's fault */
	DESK_ERROR_CONFIG,	/* the configuration is wrong */
	DESK_ERROR_NOTFOUND,	/* no such object */
	DESK_ERROR_EXISTS,	/* the object is already there */
};

GQuark desk_error_quark(void);

#endif
