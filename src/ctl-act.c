/*
 * ctl-act.c - deskctl ticket answer, category, close, note: the operator
 * does what an engineer does by mail, through the same code (act.c), and
 * credits bought resume the tickets that waited for them.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "act.h"
#include "conf.h"
#include "error.h"
#include "plan.h"
#include "policy.h"

#include "ctl.h"

/* All of standard input as UTF-8 text. (transfer full) NULL on error. */
static char *
ctl_read_text(GError **error)
{
	GIOChannel *in = g_io_channel_unix_new(STDIN_FILENO);
	char *text = NULL;
	gsize len = 0;

	if (g_io_channel_set_encoding(in, NULL, error) != G_IO_STATUS_NORMAL ||
	    g_io_channel_read_to_end(in, &text, &len, error) !=
	    G_IO_STATUS_NORMAL) {
		g_io_channel_unref(in);
		return NULL;
	}
	g_io_channel_unref(in);
	if (!g_utf8_validate(text, (gssize)len, NULL) ||
	    memchr(text, '\0', len) != NULL) {
		g_free(text);
		ctl_fail(error, DESK_ERROR_PERM, "standard input is not UTF-8 "
		    "text");
		return NULL;
	}
	return text;
}

/* The ticket number of argument I. */
static int
ctl_ticket_arg(struct ctl *ctl, guint i, int64_t *id_r, GError **error)
{
	const char *arg = ctl_arg(ctl, i);
	char *end = NULL;

	if (*arg == '#')	/* "#12", as ticket show takes it */
		arg++;
	*id_r = g_ascii_strtoll(arg, &end, 10);
	if (end == arg || *end != '\0' || *id_r <= 0)
		return ctl_fail(error, DESK_ERROR_PERM, "\"%s\" is no ticket "
		    "number", arg);
	return 0;
}

/*
 * Do COMMANDS (the options, as command lines) and the answer TEXT, taken
 * as it is, to ticket ID as the engineer of --as, or as the operator, in
 * one transaction.
 */
static int
ctl_act(struct ctl *ctl, int64_t id, const char *commands, const char *text,
    GError **error)
{
	const char *as = ctl_opt(ctl, "as");
	struct staff engineer = { 0 };
	struct ticket *t = NULL;
	struct act_reply r = { 0 };
	struct act_outcome out = { 0 };
	struct message_new row = { 0 };
	struct plan plan;
	int found, rc = -1;

	plan_init(&plan);
	if (store_begin(ctl->store, error) < 0) {
		plan_clear(&plan);
		return -1;
	}
	if ((found = store_ticket_get(ctl->store, id, &t, error)) < 0)
		goto out;
	if (!found) {
		ctl_fail(error, DESK_ERROR_NOTFOUND, "no ticket %"
		    G_GINT64_FORMAT, (gint64)id);
		goto out;
	}
	if (as != NULL) {
		if ((found = store_staff_get(ctl->store, as, &engineer,
		    error)) < 0)
			goto out;
		if (!found) {
			ctl_fail(error, DESK_ERROR_NOTFOUND, "%s is no "
			    "registered engineer (deskctl staff add)", as);
			goto out;
		}
	}
	r.ticket = t;
	r.engineer = &engineer;
	r.commands = commands;
	r.text = text;
	if (act_reply(ctl->conf, ctl->store, &r, &plan, &out, error) < 0)
		goto out;
	if (out.refused) {
		ctl_fail(error, DESK_ERROR_PERM, "nothing done:\n%s",
		    g_strchomp(out.errors));
		goto out;
	}
	/* what the operator wrote is part of the ticket, as a mail is */
	row.ticket_id = id;
	row.direction = "in";
	row.author = "staff";
	row.from_addr = engineer.email ? engineer.email : "operator";
	row.class = "human";
	row.flags = out.note ? "note" : "";
	row.subject = t->subject;
	row.text = *text != '\0' ? text : commands;
	row.raw_fd = -1;
	if (store_message_add(ctl->store, &row, error) < 0 ||
	    plan_build(ctl->conf, &plan, NULL, NULL, error) < 0 ||
	    plan_apply(ctl->conf, ctl->store, &plan, "deskctl", error) < 0)
		goto out;
	rc = 0;
out:
	if (ctl_tx_end(ctl, rc, error) < 0)
		rc = -1;
	else
		printf("ticket %" G_GINT64_FORMAT ": %s\n", (gint64)id,
		    out.note ? "note stored" : out.summary);
	act_outcome_clear(&out);
	staff_clear(&engineer);
	ticket_free(t);
	plan_clear(&plan);
	return rc;
}

int
ctl_ticket_answer(struct ctl *ctl, GError **error)
{
	const char *category = ctl_opt(ctl, "category");
	GString *commands = g_string_new(NULL);
	char *answer = NULL;
	int64_t id;
	int rc = -1;

	if (ctl_ticket_arg(ctl, 0, &id, error) < 0 ||
	    (answer = ctl_read_text(error)) == NULL)
		goto out;
	if (category != NULL)
		g_string_append_printf(commands, "#category %s\n", category);
	if (ctl_opt(ctl, "close") != NULL)
		g_string_append(commands, "#close\n");
	rc = ctl_act(ctl, id, commands->str, g_strstrip(answer), error);
out:
	g_free(answer);
	g_string_free(commands, TRUE);
	return rc;
}

int
ctl_ticket_category(struct ctl *ctl, GError **error)
{
	char *commands;
	int64_t id;
	int rc;

	if (ctl_ticket_arg(ctl, 0, &id, error) < 0)
		return -1;
	commands = g_strdup_printf("#category %s\n", ctl_arg(ctl, 1));
	rc = ctl_act(ctl, id, commands, "", error);
	g_free(commands);
	return rc;
}

int
ctl_ticket_close(struct ctl *ctl, GError **error)
{
	int64_t id;

	if (ctl_ticket_arg(ctl, 0, &id, error) < 0)
		return -1;
	return ctl_act(ctl, id, "#close\n", "", error);
}

int
ctl_ticket_note(struct ctl *ctl, GError **error)
{
	char *note;
	int64_t id;
	int rc;

	if (ctl_ticket_arg(ctl, 0, &id, error) < 0 ||
	    (note = ctl_read_text(error)) == NULL)
		return -1;
	rc = ctl_act(ctl, id, "#note\n", note, error);
	g_free(note);
	return rc;
}

/*
 * ctl_credits_resume - inside the transaction that added credits to
 * CUSTOMER: each of its tickets awaiting credits that the balance now
 * covers is charged and its held answer released, oldest first. A line
 * for each goes into REPORT, to print once the transaction is committed.
 */
int
ctl_credits_resume(struct ctl *ctl, int64_t customer, GString *report,
    GError **error)
{
	GArray *ids = store_ticket_awaiting_credits(ctl->store, customer,
	    error);
	guint i;
	int rc = -1;

	if (ids == NULL)
		return -1;
	for (i = 0; i < ids->len; i++) {
		struct ticket *t = NULL;
		struct plan plan;
		int64_t balance;
		bool resumed = false;
		int found;

		plan_init(&plan);
		if ((found = store_ticket_get(ctl->store, g_array_index(ids,
		    int64_t, i), &t, error)) < 0 ||
		    store_ledger_balance(ctl->store, customer, &balance,
		    error) < 0 ||
		    (found && (act_credits_added(ctl->conf, ctl->store, t,
		    balance, &plan, &resumed, error) < 0 ||
		    plan_build(ctl->conf, &plan, NULL, NULL, error) < 0 ||
		    plan_apply(ctl->conf, ctl->store, &plan, "deskctl",
		    error) < 0))) {
			ticket_free(t);
			plan_clear(&plan);
			goto out;
		}
		if (resumed)
			g_string_append_printf(report, "ticket %" G_GINT64_FORMAT
			    " resumed: charged, its answer released\n",
			    (gint64)t->id);
		ticket_free(t);
		plan_clear(&plan);
	}
	rc = 0;
out:
	g_array_unref(ids);
	return rc;
}
