/*
 * ctl-outbox.c - deskctl outbox list, outbox retry, outbox run.
 */
#include "config.h"

#include <stdio.h>
#include <time.h>

#include "error.h"
#include "outbox.h"

#include "ctl.h"

int
ctl_outbox_list(struct ctl *ctl, GError **error)
{
	GPtrArray *items = store_outbox_list(ctl->store, error);
	guint i;

	if (items == NULL)
		return -1;
	if (ctl->json) {
		JsonBuilder *b = json_builder_new();

		json_builder_begin_array(b);
		for (i = 0; i < items->len; i++) {
			struct outbox_item *o = g_ptr_array_index(items, i);

			json_builder_begin_object(b);
			json_builder_set_member_name(b, "id");
			json_builder_add_int_value(b, o->id);
			ctl_json_int_or_null(b, "ticket", o->ticket_id);
			ctl_json_string(b, "kind", o->kind);
			ctl_json_string(b, "to", o->rcpt);
			ctl_json_string(b, "subject", o->subject);
			ctl_json_string(b, "reply_to", o->reply_to);
			ctl_json_string(b, "message_id", o->message_id);
			ctl_json_string(b, "status", o->status);
			json_builder_set_member_name(b, "attempts");
			json_builder_add_int_value(b, o->attempts);
			ctl_json_string(b, "last_error", o->last_error);
			ctl_json_string(b, "body", o->text);
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		ctl_print_json(b);
		g_object_unref(b);
	} else {
		for (i = 0; i < items->len; i++) {
			struct outbox_item *o = g_ptr_array_index(items, i);
			char ticket[24] = "-";

			if (o->ticket_id > 0)
				g_snprintf(ticket, sizeof(ticket),
				    "%" G_GINT64_FORMAT, (gint64)o->ticket_id);
			printf("%-5" G_GINT64_FORMAT " %-8s %-8s ticket=%-5s "
			    "to=%s\n      Subject: %s\n", (gint64)o->id,
			    ctl_plain(ctl, o->status), ctl_plain(ctl, o->kind),
			    ticket, ctl_plain(ctl, o->rcpt), ctl_plain(ctl,
			    o->subject));
			if (o->reply_to != NULL)
				printf("      Reply-To: %s\n", ctl_plain(ctl,
				    o->reply_to));
			/* a relay's answer is text from the network */
			if (o->last_error != NULL)
				printf("      last error (attempt %d): %s\n",
				    o->attempts, ctl_plain(ctl, o->last_error));
		}
		if (items->len == 0)
			printf("(the outbox is empty)\n");
	}
	g_ptr_array_unref(items);
	return 0;
}

/* A failed notice (or one waiting for its next try) is tried again now. */
int
ctl_outbox_retry(struct ctl *ctl, GError **error)
{
	const char *arg = ctl_arg(ctl, 0);
	char *end;
	int64_t id = g_ascii_strtoll(arg, &end, 10);
	int rc;

	if (*end != '\0' || id <= 0)
		return ctl_fail(error, DESK_ERROR_PERM,
		    "\"%s\" is not an outbox item number", arg);
	if (store_begin(ctl->store, error) < 0)
		return -1;
	rc = store_outbox_requeue(ctl->store, id, (int64_t)time(NULL), error);
	if (rc == 1) {
		store_rollback(ctl->store);
		return ctl_fail(error, DESK_ERROR_NOTFOUND, "outbox item %"
		    G_GINT64_FORMAT " does not exist or is already sent",
		    (gint64)id);
	}
	if (ctl_tx_end(ctl, rc, error) < 0)
		return -1;
	printf("outbox item %" G_GINT64_FORMAT " queued again\n", (gint64)id);
	return 0;
}

int
ctl_outbox_run(struct ctl *ctl, GError **error)
{
	struct outbox_report r;

	if (outbox_run(ctl->conf, ctl->store, (int64_t)time(NULL), &r,
	    error) < 0)
		return -1;
	if (r.busy)
		printf("another outbox runner is at work; nothing done\n");
	else
		printf("sent %d, deferred %d, failed %d\n", r.sent,
		    r.deferred, r.failed);
	return 0;
}
