/*
 * outbox.h - deliver what deskgate queued (deskctl outbox run).
 */
#ifndef DESK_OUTBOX_H
#define DESK_OUTBOX_H

#include <stdint.h>

#include "conf.h"
#include "store.h"

struct outbox_report {
	int sent;
	int deferred;		/* kept for a later try */
	int failed;		/* given up */
	bool busy;		/* another runner holds the lock */
};

/* How long a "sending" item is left alone before it is tried again. */
#define OUTBOX_LEASE 600

/*
 * outbox_run - send every due item to the relay of CONF, one SMTP
 * session for all of them while it works. An item whose envelope fails
 * address_check() or that the relay refuses with 5xx is failed, one that
 * gets a 4xx or breaks the session is deferred, and the run goes on with
 * the next; a relay that cannot be reached or greeted within [relay]
 * timeout defers the rest. Returns 0 (even when items were deferred or
 * failed) or -1 when the store fails.
 */
int outbox_run(const struct desk_conf *conf, struct store *store,
    int64_t now, struct outbox_report *report, GError **error);

/*
 * outbox_next_delay - seconds to wait after the ATTEMPTS-th failed try:
 * FIRST doubled each time, never more than MAX.
 */
int outbox_next_delay(int attempts, int first, int max);

#endif
