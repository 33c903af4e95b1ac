/*
 * fuzz-command.c - libFuzzer target for command_parse() and
 * command_check(): an engineer's reply is mail, any bytes at all, and
 * the commands at its top decide what happens to credits.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "command.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = g_strndup((const char *)data, size);
	struct command_list l = { 0 };
	guint i;

	command_parse(text, &l);
	command_check(&l);
	g_assert(l.rest != NULL);
	for (i = 0; i < l.commands->len; i++) {
		const struct command *c = g_ptr_array_index(l.commands, i);

		g_assert(c->kind < COMMAND_KIND_COUNT);
		g_assert(c->kind != COMMAND_CATEGORY ||
		    (c->category >= 1 && c->category <= 3));
		g_assert(c->kind != COMMAND_SPLIT || (c->argument != NULL &&
		    *c->argument != '\0'));
	}
	for (i = 0; i < l.errors->len; i++) {
		const struct command_error *e = g_ptr_array_index(l.errors, i);

		g_assert(e->why != NULL && *e->why != '\0');
	}
	command_list_clear(&l);
	g_free(text);
	return 0;
}
