/*
 * fuzz-intake.c - libFuzzer target for deskgate's whole path: spool,
 * mail_parse (with the [limits] defaults), classify_mail, the reply text
 * and its language, a bounce's scan, the fingerprint, and intake_deliver
 * (routing, identity, commands, tokens, guard, the one transaction) on a
 * throwaway store, as deskgate's main() drives one message.
 *
 * The input is the message. A first byte 0x01..ENVELOPE_COUNT-1 is not
 * part of it: it picks the envelope from envelopes[] (a customer's reply
 * by token, an engineer's answer, a guarded address, a bounce, ...);
 * without one a license owner writes to the help desk address. Two
 * envelopes take the next line of the input (up to LF, cut at a NUL or
 * CR, which postfix never passes) as the envelope sender or as the
 * recipient's address extension, so the addresses are fuzzed too.
 *
 * LLVMFuzzerInitialize makes a temporary desk (DESK_FUZZ_TOP/etc/templates
 * and /filters, else the current directory's): a customer with a license
 * and credits, an engineer, ticket 1 open and ticket 2 awaiting the
 * customer's confirmation, both made through the same path. Its [limits]
 * are tight (FUZZ_LIMITS below), so that inputs of the fuzzer's size
 * (64 KB) reach every limit and the over-limit paths. Its store file is
 * kept as it is then and put back every DESK_FUZZ_RESET runs (default 1:
 * every run starts from the same store, so a crash file replays alone;
 * 0: never), so the store neither grows nor drifts. The desk is a
 * directory in DESK_FUZZ_TMP, else /dev/shm, removed at exit.
 *
 * What must hold for every input (else abort(), which libFuzzer reports):
 * each step succeeds (a private store has no transient failure, so an
 * error means the mail would wait in postfix's queue until it bounced),
 * the reply text is UTF-8, a delivery to the desk's own address leaves
 * the message stored (as any that is not refused or passed on), each
 * notice it queued is one line per field with one recipient, no Cc or
 * Bcc (no CR LF injection), and the same delivery again (a postfix
 * retry) is a duplicate that queues nothing.
 *
 * Build and run: fuzz/run.sh (clang, -fsanitize=fuzzer,address,undefined).
 */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <gmime/gmime.h>

#include "bounce.h"
#include "classify.h"
#include "conf.h"
#include "intake.h"
#include "log.h"
#include "mime-message.h"
#include "quote.h"
#include "spool.h"
#include "store.h"
#include "token.h"

#define SECRET_HEX \
	"000102030405060708090a0b0c0d0e0f" \
	"101112131415161718191a1b1c1d1e1f"
#define DESK		"support@desk.test"
#define CUSTOMER	"ann@shop.example"	/* license owner, credits */
#define ENGINEER	"alice@vendor.example"	/* staff */
#define STRANGER	"eve@evil.example"
#define GUARDED		"sales@vendor.example"

enum envelope_rcpt {
	RCPT_DESK,		/* support@desk.test */
	RCPT_REPLY,		/* ticket 1's customer token address */
	RCPT_STAFF,		/* ticket 1's staff token address */
	RCPT_CONFIRM,		/* ticket 2's confirmation address */
	RCPT_BOUNCE,		/* ticket 1's VERP address */
	RCPT_GUARDED,
	RCPT_FOREIGN,		/* not the desk's: 5.1.1 */
	RCPT_EXTENSION,		/* support+LINE@desk.test */
};

static const struct envelope {
	const char *sender;
	enum envelope_rcpt rcpt;
} envelopes[] = {
	{ CUSTOMER, RCPT_DESK },	/* no selector byte */
	{ CUSTOMER, RCPT_REPLY },
	{ ENGINEER, RCPT_STAFF },
	{ ENGINEER, RCPT_DESK },
	{ CUSTOMER, RCPT_CONFIRM },
	{ "", RCPT_BOUNCE },
	{ CUSTOMER, RCPT_GUARDED },
	{ STRANGER, RCPT_GUARDED },
	{ STRANGER, RCPT_DESK },
	{ STRANGER, RCPT_REPLY },
	{ CUSTOMER, RCPT_FOREIGN },
	{ NULL, RCPT_DESK },		/* the sender is LINE */
	{ CUSTOMER, RCPT_EXTENSION },
};
#define ENVELOPE_COUNT	(sizeof(envelopes) / sizeof(envelopes[0]))

static struct {
	char *dir, *store_path;
	struct desk_conf *conf;
	struct intake in;
	struct mail_limits limits;
	char *rcpt[RCPT_EXTENSION];
	GBytes *pristine;	/* the store file after setup */
	unsigned reset_every, runs;
	int64_t outbox_base;	/* the last notice setup queued */
	int64_t outbox_checked;	/* the last notice fuzz_check_outbox saw */
} fz;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void G_GNUC_NORETURN
fuzz_fail(const char *what, GError *error)
{
	fprintf(stderr, "fuzz-intake: %s: %s\n", what,
	    error ? error->message : "failed");
	abort();
}

/* An unlinked file holding DATA, at offset 0, as postfix's pipe would. */
static int
fuzz_input_fd(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-intake", 0);
	size_t off = 0;

	if (fd < 0)
		fuzz_fail("memfd_create", NULL);
	while (off < size) {
		ssize_t n = write(fd, data + off, size - off);

		if (n <= 0)
			fuzz_fail("write", NULL);
		off += (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) != 0)
		fuzz_fail("lseek", NULL);
	return fd;
}

/*
 * Deliver the SIZE bytes of DATA from SENDER to RCPT the way deskgate's
 * main() does (spool, parse, classify, trim, scan, fingerprint, deliver);
 * any failure aborts. Returns false when deskgate would refuse it as too
 * big (5.3.4, before parsing), else true and *ACTION_R.
 */
static bool
fuzz_deliver(const char *sender, const char *rcpt, const uint8_t *data,
    size_t size, enum intake_action *action_r)
{
	GError *error = NULL;
	struct classification class = { 0 };
	struct bounce_info bounce = { 0 };
	struct intake_result res = { 0 };
	bool scanned = false;
	struct spool *spool;
	struct mail *mail;
	char *reply_text, *fingerprint;
	const char *language;
	int fd = fuzz_input_fd(data, size);

	spool = spool_read(fd, fz.conf->max_message_size, fz.dir, &error);
	if (spool == NULL)
		fuzz_fail("spool_read", error);
	if (close(fd) < 0)
		fuzz_fail("close", NULL);
	if (spool->too_big) {
		spool_free(spool);
		return false;
	}
	mail = mail_parse(spool->fd, fz.dir, &fz.limits, &error);
	if (mail == NULL)
		fuzz_fail("mail_parse", error);
	classify_mail(fz.in.robots, mail, sender, &class);
	reply_text = quote_reply_text(fz.in.quotes, mail, fz.conf->address);
	if (!g_utf8_validate(reply_text, -1, NULL))
		fuzz_fail("quote_reply_text: not UTF-8", NULL);
	language = mail->malformed ? "unknown" :
	    language_detect(fz.in.languages, reply_text);
	if (class.class == MAIL_CLASS_BOUNCE) {
		if (bounce_scan(spool->fd, spool->size, fz.conf->domain,
		    &class.bounce, &bounce, &error) < 0)
			fuzz_fail("bounce_scan", error);
		scanned = true;
	}
	{
		struct intake_mail m = { sender, "", spool, mail, &class,
		    reply_text, language, NULL, NULL };

		fingerprint = intake_fingerprint(&m);
	}
	{
		struct intake_mail m = { sender, rcpt, spool, mail, &class,
		    reply_text, language, scanned ? &bounce : NULL,
		    fingerprint };

		if (intake_deliver(&fz.in, &m, &res, &error) < 0)
			fuzz_fail("intake_deliver", error);
		/* but for these every message is kept */
		if (res.action != INTAKE_NOUSER &&
		    res.action != INTAKE_GUARD_REJECT &&
		    res.action != INTAKE_GUARD_PASS) {
			char *key = intake_dedup_key(&m, &error);

			if (key == NULL || store_message_seen(fz.in.store,
			    key, &error) != 1) {
				fprintf(stderr, "fuzz-intake: %s, but not "
				    "stored\n", intake_action_name(res.action));
				abort();
			}
			g_free(key);
		}
	}
	*action_r = res.action;
	intake_result_clear(&res);
	if (scanned)
		bounce_info_clear(&bounce);
	classification_clear(&class);
	g_free(fingerprint);
	g_free(reply_text);
	mail_free(mail);
	spool_free(spool);
	return true;
}

/* FIELD of a notice is one line: no CR, LF or NUL smuggled in. */
static void
fuzz_check_line(const struct outbox_item *o, const char *what,
    const char *field)
{
	if (field != NULL && strpbrk(field, "\r\n") != NULL) {
		fprintf(stderr, "fuzz-intake: notice %" G_GINT64_FORMAT
		    " (%s): a line break in its %s\n", (gint64)o->id, o->kind,
		    what);
		abort();
	}
}

/* The notice O as sent has one recipient and no Cc or Bcc. */
static void
fuzz_check_raw(const struct outbox_item *o)
{
	GMimeStream *st;
	GMimeParser *parser;
	GMimeMessage *msg;
	int n[3], i;
	const GMimeAddressType types[3] = { GMIME_ADDRESS_TYPE_TO,
	    GMIME_ADDRESS_TYPE_CC, GMIME_ADDRESS_TYPE_BCC };
	gsize len;
	const void *raw = g_bytes_get_data(o->raw, &len);

	st = g_mime_stream_mem_new_with_buffer(raw, len);
	parser = g_mime_parser_new_with_stream(st);
	msg = g_mime_parser_construct_message(parser, NULL);
	if (msg == NULL)
		fuzz_fail("a notice GMime cannot parse", NULL);
	for (i = 0; i < 3; i++)
		n[i] = internet_address_list_length(
		    g_mime_message_get_addresses(msg, types[i]));
	if (n[0] != 1 || n[1] != 0 || n[2] != 0) {
		fprintf(stderr, "fuzz-intake: notice %" G_GINT64_FORMAT
		    " (%s) to %s: %d To, %d Cc, %d Bcc\n", (gint64)o->id,
		    o->kind, o->rcpt, n[0], n[1], n[2]);
		abort();
	}
	g_object_unref(msg);
	g_object_unref(parser);
	g_object_unref(st);
}

/*
 * The notices queued since the last look: their envelope and header
 * fields are single lines, and each that is due (not held) has exactly
 * one recipient and no Cc or Bcc as sent: what CR LF injection through a
 * subject, a name or a file name would change.
 */
static void
fuzz_check_outbox(void)
{
	GError *error = NULL;
	GPtrArray *items = store_outbox_list(fz.in.store, &error), *due;
	int64_t last = fz.outbox_checked;
	guint i;

	if (items == NULL)
		fuzz_fail("store_outbox_list", error);
	for (i = 0; i < items->len; i++) {
		const struct outbox_item *o = g_ptr_array_index(items, i);

		if (o->id <= fz.outbox_checked)
			continue;
		last = MAX(last, o->id);
		fuzz_check_line(o, "recipient", o->rcpt);
		fuzz_check_line(o, "envelope sender", o->env_from);
		fuzz_check_line(o, "subject", o->subject);
		fuzz_check_line(o, "Reply-To", o->reply_to);
		fuzz_check_line(o, "Message-ID", o->message_id);
	}
	g_ptr_array_unref(items);
	due = store_outbox_due(fz.in.store, G_MAXINT64 / 2, 0, &error);
	if (due == NULL)
		fuzz_fail("store_outbox_due", error);
	for (i = 0; i < due->len; i++) {
		const struct outbox_item *o = g_ptr_array_index(due, i);

		if (o->id > fz.outbox_checked && o->raw != NULL)
			fuzz_check_raw(o);
	}
	g_ptr_array_unref(due);
	fz.outbox_checked = last;
}

/* Deliver the string TEXT during setup; it must get action WANT. */
static void
fuzz_setup_deliver(const char *sender, const char *rcpt, const char *text,
    enum intake_action want)
{
	enum intake_action got = INTAKE_NOUSER;

	if (!fuzz_deliver(sender, rcpt, (const uint8_t *)text, strlen(text),
	    &got) || got != want) {
		fprintf(stderr, "fuzz-intake: setup mail to %s: %s, not %s\n",
		    rcpt, intake_action_name(got), intake_action_name(want));
		abort();
	}
}

static void
fuzz_store_open(void)
{
	GError *error = NULL;

	fz.in.store = store_open(fz.store_path, 1000, false, &error);
	if (fz.in.store == NULL || store_check_version(fz.in.store,
	    &error) < 0)
		fuzz_fail("store_open", error);
}

/* Put the store back as setup left it. */
static void
fuzz_store_reset(void)
{
	GError *error = NULL;
	const char *suffix[] = { "-wal", "-shm" };
	size_t i;

	store_close(fz.in.store);
	for (i = 0; i < G_N_ELEMENTS(suffix); i++) {
		char *p = g_strconcat(fz.store_path, suffix[i], NULL);

		(void)g_unlink(p);
		g_free(p);
	}
	if (!g_file_set_contents(fz.store_path,
	    g_bytes_get_data(fz.pristine, NULL),
	    (gssize)g_bytes_get_size(fz.pristine), &error))
		fuzz_fail("restoring the store", error);
	fz.outbox_checked = fz.outbox_base;
	fuzz_store_open();
}

/* The store and the two tickets setup leaves (see the file comment). */
static void
fuzz_store_setup(void)
{
	GError *error = NULL;
	struct confirmation c;
	int64_t ann;
	char *text, *bytes = NULL;
	gsize len = 0;

	fz.in.store = store_open(fz.store_path, 1000, true, &error);
	if (fz.in.store == NULL || store_migrate(fz.in.store, &error) < 0)
		fuzz_fail("store_migrate", error);
	ann = store_customer_add(fz.in.store, CUSTOMER, "Ann Lee", "en",
	    false, &error);
	if (ann <= 0 || store_license_add(fz.in.store, ann, "cs-cart",
	    "first", 10, &error) <= 0 || store_ledger_add(fz.in.store, ann,
	    50, "purchase", 0, 0, 5000, &error) <= 0 ||
	    store_staff_add(fz.in.store, ENGINEER, "Alice Engineer",
	    &error) <= 0)
		fuzz_fail("adding the customer and the engineer", error);

	fuzz_setup_deliver(CUSTOMER, DESK, "From: Ann Lee <" CUSTOMER ">\n"
	    "To: " DESK "\nSubject: Cart total\nMessage-ID: <t1@shop.example>\n"
	    "\nThe cart does not update the total.\n", INTAKE_CREATED);
	fuzz_setup_deliver(CUSTOMER, DESK, "From: Ann Lee <" CUSTOMER ">\n"
	    "To: " DESK "\nSubject: Export fails\n"
	    "Message-ID: <t2@shop.example>\n\nThe product export stops at 50%.\n", INTAKE_CREATED);
	text = token_address(fz.conf->secret, fz.conf->address_local,
	    fz.conf->domain, 2, TOKEN_ROLE_STAFF);
	{
		char *answer = g_strdup_printf("From: Alice <" ENGINEER ">\n"
		    "To: %s\nSubject: Re: [#2] Export fails\n"
		    "Message-ID: <a2@vendor.example>\n\n#category 2\n\n"
		    "This needs a change in the exporter.\n", text);

		fuzz_setup_deliver(ENGINEER, text, answer, INTAKE_UPDATED);
		g_free(answer);
	}
	g_free(text);
	fuzz_check_outbox();
	fz.outbox_base = fz.outbox_checked;
	/* RCPT_CONFIRM is the address of this one */
	if (store_confirmation_pending(fz.in.store, 2, &c, &error) != 1 ||
	    c.id != 1)
		fuzz_fail("ticket 2's confirmation", error);
	store_close(fz.in.store);
	fz.in.store = NULL;

	if (!g_file_get_contents(fz.store_path, &bytes, &len, &error))
		fuzz_fail("reading the store", error);
	fz.pristine = g_bytes_new_take(bytes, len);
	fuzz_store_open();
}

/* At exit: the temporary desk goes (a crash leaves it for a look). */
static void
fuzz_cleanup(void)
{
	GDir *d;
	const char *name;

	store_close(fz.in.store);
	fz.in.store = NULL;
	if (fz.dir == NULL || (d = g_dir_open(fz.dir, 0, NULL)) == NULL)
		return;
	while ((name = g_dir_read_name(d)) != NULL) {
		char *p = g_build_filename(fz.dir, name, NULL);

		(void)g_unlink(p);
		g_free(p);
	}
	g_dir_close(d);
	(void)g_rmdir(fz.dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	GError *error = NULL;
	const char *top = getenv("DESK_FUZZ_TOP");
	const char *reset = getenv("DESK_FUZZ_RESET");
	const char *base = getenv("DESK_FUZZ_TMP");
	char *cwd = g_get_current_dir(), *text, *path;

	/* a tmpfs spares the fsync of each commit (synchronous = FULL) */
	if (base == NULL)
		base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" :
		    g_get_tmp_dir();

	(void)argc;
	(void)argv;
	if (top == NULL)
		top = cwd;
	fz.reset_every = reset ? (unsigned)strtoul(reset, NULL, 10) : 1;
	path = g_build_filename(base, "fuzz-intake-XXXXXX", NULL);
	fz.dir = g_mkdtemp(path);
	if (fz.dir == NULL)
		fuzz_fail("mkdtemp", NULL);
	atexit(fuzz_cleanup);
	fz.store_path = g_build_filename(fz.dir, "desk.db", NULL);
	text = g_strdup_printf("[desk]\nname = Fuzz Help Desk\n"
	    "address = " DESK "\nsecret = " SECRET_HEX "\n"
	    "templates = %s/etc/templates\nfilters = %s/filters\n"
	    "contact_url = https://vendor.example/contact\n"
	    "[store]\npath = %s\n"
	    "[staff]\nnotify = engineers@vendor.example\n"
	    "[guard]\naddresses = " GUARDED "\n"
	    "pass_to = " GUARDED "=sales@mailbox.vendor.example\n"
	    "action = reply\n"
	    /* FUZZ_LIMITS */
	    "[limits]\nmax_depth = 8\nmax_parts = 20\nmax_headers = 100\n"
	    "max_header_line = 1K\nmax_header_size = 16K\n"
	    "max_text_size = 64K\nmax_attachments = 2\n"
	    "max_attachment_size = 2K\n"
	    "[log]\ntarget = /dev/null\n", top, top, fz.store_path);
	path = g_build_filename(fz.dir, "deskgate.conf", NULL);
	if (!g_file_set_contents(path, text, -1, &error) ||
	    (fz.conf = conf_load(path, &error)) == NULL)
		fuzz_fail("the configuration", error);
	g_free(path);
	g_free(text);
	g_free(cwd);
	log_open("fuzz-intake", fz.conf->log_target);

	mail_init();
	intake_mail_limits(fz.conf, &fz.limits);
	fz.in.conf = fz.conf;
	if (intake_load_rules(&fz.in, &error) < 0)
		fuzz_fail("intake_load_rules", error);
	fuzz_store_setup();

	fz.rcpt[RCPT_DESK] = g_strdup(DESK);
	fz.rcpt[RCPT_REPLY] = token_address(fz.conf->secret,
	    fz.conf->address_local, fz.conf->domain, 1, TOKEN_ROLE_CUSTOMER);
	fz.rcpt[RCPT_STAFF] = token_address(fz.conf->secret,
	    fz.conf->address_local, fz.conf->domain, 1, TOKEN_ROLE_STAFF);
	fz.rcpt[RCPT_CONFIRM] = token_confirm_address(fz.conf->secret,
	    fz.conf->address_local, fz.conf->domain, 2, 1);
	fz.rcpt[RCPT_BOUNCE] = token_address(fz.conf->secret,
	    fz.conf->address_local, fz.conf->domain, 1, TOKEN_ROLE_BOUNCE);
	fz.rcpt[RCPT_GUARDED] = g_strdup(GUARDED);
	fz.rcpt[RCPT_FOREIGN] = g_strdup("someone@elsewhere.example");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct envelope *env = &envelopes[0];
	enum intake_action action;
	const char *sender, *rcpt;
	char *line = NULL, *extended = NULL;
	bool taken;	/* not refused as too big */

	if (size > 0 && data[0] > 0 && data[0] < ENVELOPE_COUNT) {
		env = &envelopes[data[0]];
		data++;
		size--;
	}
	if (env->sender == NULL || env->rcpt == RCPT_EXTENSION) {
		const uint8_t *lf = memchr(data, '\n', size);
		size_t n = lf ? (size_t)(lf - data) : size;

		line = g_strndup((const char *)data, n);
		line[strcspn(line, "\r")] = '\0';
		data += lf ? n + 1 : n;
		size -= lf ? n + 1 : n;
	}
	sender = env->sender ? env->sender : line;
	if (env->rcpt == RCPT_EXTENSION)
		rcpt = extended = g_strdup_printf("%s+%s@%s",
		    fz.conf->address_local, line, fz.conf->domain);
	else
		rcpt = fz.rcpt[env->rcpt];
	if (fz.reset_every > 0 && fz.runs++ % fz.reset_every == 0 &&
	    fz.runs > 1)
		fuzz_store_reset();
	taken = fuzz_deliver(sender, rcpt, data, size, &action);
	fuzz_check_outbox();
	/* postfix may deliver it again: that changes nothing */
	if (taken && action != INTAKE_NOUSER && action != INTAKE_GUARD_REJECT &&
	    action != INTAKE_GUARD_PASS) {
		enum intake_action again = INTAKE_NOUSER;
		int64_t notices = fz.outbox_checked;

		if (!fuzz_deliver(sender, rcpt, data, size, &again) ||
		    again != INTAKE_DUPLICATE) {
			fprintf(stderr, "fuzz-intake: %s, delivered again: "
			    "%s\n", intake_action_name(action),
			    intake_action_name(again));
			abort();
		}
		fuzz_check_outbox();
		if (fz.outbox_checked != notices) {
			fprintf(stderr, "fuzz-intake: delivered again, it "
			    "queued notice %" G_GINT64_FORMAT "\n",
			    (gint64)fz.outbox_checked);
			abort();
		}
	}
	g_free(extended);
	g_free(line);
	/* the desk's own address stores whatever comes */
	if (taken && env->rcpt == RCPT_DESK && (action == INTAKE_NOUSER ||
	    action == INTAKE_GUARD_REJECT || action == INTAKE_GUARD_PASS)) {
		fprintf(stderr, "fuzz-intake: to " DESK ": %s\n",
		    intake_action_name(action));
		abort();
	}
	return 0;
}
