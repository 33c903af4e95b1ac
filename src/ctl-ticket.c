/*
 * ctl-ticket.c - deskctl ticket list, ticket show, message unfiled.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "error.h"

#include "ctl.h"

static void
ctl_json_ticket_fields(JsonBuilder *b, const struct ticket *t)
{
	json_builder_set_member_name(b, "id");
	json_builder_add_int_value(b, t->id);
	ctl_json_string(b, "status", t->status);
	ctl_json_string(b, "customer", t->customer_email);
	ctl_json_string(b, "subject", t->subject);
	ctl_json_int_or_null(b, "category", t->category);
	json_builder_set_member_name(b, "charged");
	json_builder_add_int_value(b, t->charged);
	json_builder_set_member_name(b, "preapproved");
	json_builder_add_boolean_value(b, t->preapproved);
	ctl_json_string(b, "lang", t->lang);
	ctl_json_string(b, "flags", t->flags);
}

int
ctl_ticket_list(struct ctl *ctl, GError **error)
{
	GPtrArray *tickets = store_ticket_list(ctl->store, error);
	guint i;

	if (tickets == NULL)
		return -1;
	if (ctl->json) {
		JsonBuilder *b = json_builder_new();

		json_builder_begin_array(b);
		for (i = 0; i < tickets->len; i++) {
			struct ticket *t = g_ptr_array_index(tickets, i);

			json_builder_begin_object(b);
			ctl_json_ticket_fields(b, t);
			json_builder_set_member_name(b, "messages");
			json_builder_add_int_value(b, t->messages);
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		ctl_print_json(b);
		g_object_unref(b);
	} else {
		printf("%-6s %-22s %-28s %-4s %-7s %-4s %s\n", "ID", "STATUS",
		    "CUSTOMER", "CAT", "CHARGED", "MSGS", "SUBJECT");
		for (i = 0; i < tickets->len; i++) {
			struct ticket *t = g_ptr_array_index(tickets, i);

			printf("%-6" G_GINT64_FORMAT " %-22s %-28s %-4s %-7d "
			    "%-4d %s\n", (gint64)t->id, ctl_plain(ctl,
			    t->status), ctl_plain(ctl, t->customer_email),
			    t->category ? (t->category == 1 ? "1" :
			    t->category == 2 ? "2" : "3") : "-", t->charged,
			    t->messages, ctl_plain(ctl, t->subject));
		}
		if (tickets->len == 0)
			printf("(no tickets)\n");
	}
	g_ptr_array_unref(tickets);
	return 0;
}

static void
ctl_json_attachments(JsonBuilder *b, GPtrArray *atts)
{
	guint i;

	json_builder_set_member_name(b, "attachments");
	json_builder_begin_array(b);
	for (i = 0; i < atts->len; i++) {
		struct attachment *a = g_ptr_array_index(atts, i);

		json_builder_begin_object(b);
		ctl_json_string(b, "filename", a->filename);
		ctl_json_string(b, "content_type", a->content_type);
		json_builder_set_member_name(b, "size");
		json_builder_add_int_value(b, a->size);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

int
ctl_ticket_show(struct ctl *ctl, GError **error)
{
	const char *arg = ctl_arg(ctl, 0);
	char *end;
	int64_t id = g_ascii_strtoll(arg[0] == '#' ? arg + 1 : arg, &end, 10);
	struct ticket *t = NULL;
	GPtrArray *messages = NULL;
	int found, rc = -1;
	guint i;

	if (*end != '\0' || id <= 0)
		return ctl_fail(error, DESK_ERROR_PERM,
		    "\"%s\" is not a ticket number", arg);
	if ((found = store_ticket_get(ctl->store, id, &t, error)) < 0)
		return -1;
	if (found == 0)
		return ctl_fail(error, DESK_ERROR_NOTFOUND,
		    "there is no ticket %" G_GINT64_FORMAT, (gint64)id);
	if ((messages = store_message_list(ctl->store, id, error)) == NULL)
		goto out;
	if (ctl->json) {
		JsonBuilder *b = json_builder_new();

		json_builder_begin_object(b);
		ctl_json_ticket_fields(b, t);
		json_builder_set_member_name(b, "messages");
		json_builder_begin_array(b);
		for (i = 0; i < messages->len; i++) {
			struct message *m = g_ptr_array_index(messages, i);
			GPtrArray *atts = store_attachment_list(ctl->store,
			    m->id, error);

			if (atts == NULL) {
				g_object_unref(b);
				goto out;
			}
			json_builder_begin_object(b);
			ctl_json_string(b, "direction", m->direction);
			ctl_json_string(b, "author", m->author);
			ctl_json_string(b, "from", m->from_addr);
			ctl_json_string(b, "to", m->recipient);
			ctl_json_string(b, "subject", m->subject);
			/* the ticket shows the new text; all of it is kept */
			ctl_json_string(b, "text", m->reply_text ?
			    m->reply_text : m->text);
			ctl_json_string(b, "full_text", m->text);
			ctl_json_string(b, "language", m->language);
			ctl_json_string(b, "message_id", m->message_id);
			ctl_json_string(b, "class", m->class);
			ctl_json_string(b, "flags", m->flags);
			ctl_json_attachments(b, atts);
			json_builder_end_object(b);
			g_ptr_array_unref(atts);
		}
		json_builder_end_array(b);
		json_builder_end_object(b);
		ctl_print_json(b);
		g_object_unref(b);
	} else {
		char *when = ctl_time(t->created);

		printf("Ticket #%" G_GINT64_FORMAT ": %s\n", (gint64)t->id,
		    ctl_plain(ctl, t->subject));
		printf("Customer: %s\nStatus: %s\nCategory: %s\n"
		    "Charged: %d credits\nPre-approved: %s\nOpened: %s\n",
		    ctl_plain(ctl, t->customer_email), ctl_plain(ctl,
		    t->status), t->category ?
		    (t->category == 1 ? "1" : t->category == 2 ? "2" : "3") :
		    "not assessed", t->charged, t->preapproved ? "yes" : "no",
		    when);
		g_free(when);
		for (i = 0; i < messages->len; i++) {
			struct message *m = g_ptr_array_index(messages, i);
			GPtrArray *atts = store_attachment_list(ctl->store,
			    m->id, error);
			guint j;

			if (atts == NULL)
				goto out;
			when = ctl_time(m->created);
			printf("\n--- %s %s %s <%s> %s\n", when,
			    strcmp(m->direction, "in") == 0 ? "from" : "to",
			    ctl_plain(ctl, m->author), ctl_plain(ctl,
			    strcmp(m->direction, "in") == 0 ? m->from_addr :
			    m->recipient), ctl_plain(ctl, m->flags));
			g_free(when);
			printf("%s\n", ctl_plain_text(ctl, m->reply_text ?
			    m->reply_text : m->text));
			for (j = 0; j < atts->len; j++) {
				struct attachment *a = g_ptr_array_index(atts,
				    j);

				printf("[attachment: %s, %s, %" G_GINT64_FORMAT
				    " bytes]\n", a->filename ? ctl_plain(ctl,
				    a->filename) : "(unnamed)", ctl_plain(ctl,
				    a->content_type),
				    (gint64)a->size);
			}
			g_ptr_array_unref(atts);
		}
	}
	rc = 0;
out:
	if (messages != NULL)
		g_ptr_array_unref(messages);
	ticket_free(t);
	return rc;
}

/* Does the comma-separated list FLAGS hold WORD? */
static bool
ctl_has_flag(const char *flags, const char *word)
{
	char **words = g_strsplit(flags != NULL ? flags : "", ",", -1);
	bool found = false;
	guint i;

	for (i = 0; words[i] != NULL && !found; i++)
		found = strcmp(g_strstrip(words[i]), word) == 0;
	g_strfreev(words);
	return found;
}

static void
ctl_json_unfiled(JsonBuilder *b, const struct message *m, bool suppressed)
{
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "id");
	json_builder_add_int_value(b, m->id);
	ctl_json_int_or_null(b, "ticket", m->ticket_id);
	ctl_json_string(b, "author", m->author);
	ctl_json_string(b, "from", m->from_addr);
	ctl_json_string(b, "to", m->recipient);
	ctl_json_string(b, "subject", m->subject);
	ctl_json_string(b, "class", m->class);
	ctl_json_string(b, "flags", m->flags);
	json_builder_set_member_name(b, "suppressed");
	json_builder_add_boolean_value(b, suppressed);
	ctl_json_string(b, "message_id", m->message_id);
	json_builder_set_member_name(b, "size");
	json_builder_add_int_value(b, m->size);
	json_builder_end_object(b);
}

static void
ctl_print_unfiled(struct ctl *ctl, const struct message *m)
{
	char ticket[24] = "-";

	if (m->ticket_id > 0)
		g_snprintf(ticket, sizeof(ticket), "#%" G_GINT64_FORMAT,
		    (gint64)m->ticket_id);
	printf("%-6" G_GINT64_FORMAT " %-6s %-9s %-10s %-12s %-28s %s\n",
	    (gint64)m->id, ticket, ctl_plain(ctl, m->author),
	    ctl_plain(ctl, m->class), *m->flags ? ctl_plain(ctl, m->flags) :
	    "-", ctl_plain(ctl, m->from_addr), ctl_plain(ctl, m->subject));
}

/*
 * Messages filed in no ticket (strangers, robots, quarantined mail), and
 * in a section of their own the suppressed ones: robot-classed mail from
 * a license owner, filed or not, so that a misclassified request is seen.
 * A suppressed message is listed once, among the suppressed. The JSON is
 * one array of both; each element says "suppressed" and "ticket".
 */
int
ctl_message_unfiled(struct ctl *ctl, GError **error)
{
	GPtrArray *messages = NULL, *suppressed = NULL;
	guint i, shown = 0;
	int rc = -1;

	if ((messages = store_message_list(ctl->store, 0, error)) == NULL ||
	    (suppressed = store_message_list_suppressed(ctl->store,
	    error)) == NULL)
		goto out;
	if (ctl->json) {
		JsonBuilder *b = json_builder_new();

		json_builder_begin_array(b);
		for (i = 0; i < messages->len; i++) {
			struct message *m = g_ptr_array_index(messages, i);

			if (!ctl_has_flag(m->flags, "suppressed"))
				ctl_json_unfiled(b, m, false);
		}
		for (i = 0; i < suppressed->len; i++)
			ctl_json_unfiled(b, g_ptr_array_index(suppressed, i),
			    true);
		json_builder_end_array(b);
		ctl_print_json(b);
		g_object_unref(b);
	} else {
		for (i = 0; i < messages->len; i++) {
			struct message *m = g_ptr_array_index(messages, i);

			if (ctl_has_flag(m->flags, "suppressed"))
				continue;
			ctl_print_unfiled(ctl, m);
			shown++;
		}
		if (shown == 0)
			printf("(no unfiled messages)\n");
		printf("\nSuppressed: robot-classed mail from license owners "
		    "(%u)\n", suppressed->len);
		for (i = 0; i < suppressed->len; i++)
			ctl_print_unfiled(ctl, g_ptr_array_index(suppressed,
			    i));
	}
	rc = 0;
out:
	if (messages != NULL)
		g_ptr_array_unref(messages);
	if (suppressed != NULL)
		g_ptr_array_unref(suppressed);
	return rc;
}
