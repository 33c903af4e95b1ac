/*
 * ctl.c - what deskctl's commands share: errors, options and arguments,
 * times, JSON output, the customer of an address, the end of a write
 * transaction. The commands themselves are in ctl-*.c, the command
 * table and main() in deskctl.c.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "error.h"

#include "ctl.h"

int
ctl_fail(GError **error, enum desk_status code, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error_literal(error, DESK_ERROR, code, msg);
	g_free(msg);
	return -1;
}

const char *
ctl_opt(struct ctl *ctl, const char *name)
{
	return g_hash_table_lookup(ctl->opts, name);
}

const char *
ctl_arg(struct ctl *ctl, guint i)
{
	return i < ctl->args->len ? g_ptr_array_index(ctl->args, i) : NULL;
}

char *
ctl_time(int64_t t)
{
	GDateTime *dt = g_date_time_new_from_unix_utc(t);
	char *s;

	if (dt == NULL)
		return g_strdup("-");
	s = g_date_time_format(dt, "%Y-%m-%d %H:%M:%SZ");
	g_date_time_unref(dt);
	return s;
}

/* ctl_plain and ctl_plain_text: MULTILINE keeps LF and TAB. */
static const char *
ctl_plain_escape(struct ctl *ctl, const char *s, bool multiline)
{
	GString *out;
	const char *p;
	char *r;

	if (s == NULL)
		return "";
	out = g_string_sized_new(strlen(s));
	for (p = s; *p != '\0';) {
		unsigned char c = (unsigned char)*p;
		gunichar u;

		if ((c == '\n' || c == '\t') && multiline) {
			g_string_append_c(out, (char)c);
			p++;
		} else if (c == '\n' || c == '\r' || c == '\t') {
			g_string_append(out, c == '\n' ? "\\n" : c == '\r' ?
			    "\\r" : "\\t");
			p++;
		} else if (c < 0x20 || c == 0x7f) {
			g_string_append_printf(out, "\\x%02x", c);
			p++;
		} else if (c < 0x80) {
			g_string_append_c(out, (char)c);
			p++;
		} else if ((u = g_utf8_get_char_validated(p, -1)) >=
		    0x110000) {
			g_string_append_printf(out, "\\x%02x", c);
			p++;
		} else if (u >= 0x80 && u <= 0x9f) {
			g_string_append_printf(out, "\\u%04x", (unsigned)u);
			p = g_utf8_next_char(p);
		} else {
			const char *next = g_utf8_next_char(p);

			g_string_append_len(out, p, next - p);
			p = next;
		}
	}
	r = g_string_free(out, FALSE);
	g_ptr_array_add(ctl->scratch, r);
	return r;
}

const char *
ctl_plain(struct ctl *ctl, const char *s)
{
	return ctl_plain_escape(ctl, s, false);
}

const char *
ctl_plain_text(struct ctl *ctl, const char *s)
{
	return ctl_plain_escape(ctl, s, true);
}

/*
 * Make the generator's TEXT strict JSON (RFC 8259). json-glib 1.6 leaves
 * U+001F raw in a string (its escaper tests "< 0x1f") and copies bytes
 * that are not UTF-8 as they are; a strict parser rejects both, and mail
 * text holds both. The builder API stays what every command uses, and
 * this one pass over its output fixes every field of every command at
 * once, whatever json-glib version: inside a string each raw byte below
 * 0x20 becomes \u00XX and each byte that does not start a valid UTF-8
 * sequence becomes \ufffd. Outside strings the generator writes only
 * syntax and blanks, which are left alone. (transfer full)
 */
char *
ctl_json_strict(const char *text)
{
	GString *out = g_string_sized_new(strlen(text) + 16);
	const char *p = text;
	bool in_string = false;

	while (*p != '\0') {
		unsigned char c = (unsigned char)*p;
		const char *next;

		if (!in_string) {
			in_string = c == '"';
			g_string_append_c(out, (char)c);
			p++;
		} else if (c == '\\' && p[1] != '\0') {
			g_string_append_len(out, p, 2);	/* escaped already */
			p += 2;
		} else if (c == '"') {
			in_string = false;
			g_string_append_c(out, '"');
			p++;
		} else if (c < 0x20) {
			g_string_append_printf(out, "\\u%04x", c);
			p++;
		} else if (c < 0x80) {
			g_string_append_c(out, (char)c);
			p++;
		} else if (g_utf8_get_char_validated(p, -1) < 0x110000) {
			next = g_utf8_next_char(p);	/* one valid character */
			g_string_append_len(out, p, next - p);
			p = next;
		} else {
			g_string_append(out, "\\ufffd");
			p++;
		}
	}
	return g_string_free(out, FALSE);
}

void
ctl_print_json(JsonBuilder *b)
{
	JsonGenerator *gen = json_generator_new();
	JsonNode *root = json_builder_get_root(b);
	char *text, *strict;

	json_generator_set_pretty(gen, TRUE);
	json_generator_set_root(gen, root);
	text = json_generator_to_data(gen, NULL);
	strict = ctl_json_strict(text);
	printf("%s\n", strict);
	g_free(strict);
	g_free(text);
	json_node_unref(root);
	g_object_unref(gen);
}

void
ctl_json_int_or_null(JsonBuilder *b, const char *name, int64_t v)
{
	json_builder_set_member_name(b, name);
	if (v > 0)
		json_builder_add_int_value(b, v);
	else
		json_builder_add_null_value(b);
}

void
ctl_json_string(JsonBuilder *b, const char *name, const char *v)
{
	json_builder_set_member_name(b, name);
	if (v != NULL)
		json_builder_add_string_value(b, v);
	else
		json_builder_add_null_value(b);
}

/* The customer whose address is ADDRESS, or an error naming it. */
int
ctl_customer(struct ctl *ctl, const char *address, struct customer *c,
    GError **error)
{
	int found = store_customer_find(ctl->store, address, c, error);

	if (found < 0)
		return -1;
	if (found == 0)
		return ctl_fail(error, DESK_ERROR_NOTFOUND,
		    "no customer has the address %s", address);
	return 0;
}

int
ctl_check_address(const char *address, GError **error)
{
	if (!conf_is_valid_address(address))
		return ctl_fail(error, DESK_ERROR_PERM,
		    "\"%s\" is not a mail address", address);
	return 0;
}

/* Wrap CALL in a write transaction. */
int
ctl_tx_end(struct ctl *ctl, int rc, GError **error)
{
	if (rc < 0) {
		store_rollback(ctl->store);
		return -1;
	}
	return store_commit(ctl->store, error);
}
