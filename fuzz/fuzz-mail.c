/*
 * fuzz-mail.c - libFuzzer target for the parser entry points deskgate
 * feeds with sender-controlled bytes: mail_parse_bytes() (GMime, the part
 * walk, charset conversion, HTML to text) and classify_mail() with the
 * shipped robots.rules.
 *
 * Build and run: fuzz/run.sh (clang, -fsanitize=fuzzer,address,undefined).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "classify.h"
#include "mime-message.h"
#include "rules.h"

static struct rules *robots;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	GHashTable *vars = g_hash_table_new(g_str_hash, g_str_equal);
	const char *rules = getenv("DESK_FUZZ_RULES");

	mail_init();
	g_hash_table_insert(vars, (gpointer)"desk_address",
	    (gpointer)"support@desk.test");
	robots = rules_load(rules ? rules : "filters/robots.rules", vars, NULL);
	g_hash_table_destroy(vars);
	if (robots == NULL)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail *mail = mail_parse_bytes((const char *)data, size);
	struct classification class;

	classify_mail(robots, mail, "", &class);
	classification_clear(&class);
	classify_mail(robots, mail, NULL, &class);
	classification_clear(&class);
	mail_free(mail);
	return 0;
}
