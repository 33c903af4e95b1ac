/*
 * fuzz-mail.c - libFuzzer target for the parser entry points deskgate
 * feeds with sender-controlled bytes: mail_parse_bytes() (GMime, the part
 * walk, charset conversion, HTML to text), classify_mail() with the
 * shipped robots.rules, the reply text (quotes.rules) and its language,
 * the subject tag parser, the Authentication-Results reader and the
 * cutting of sender text for notices.
 *
 * Build and run: fuzz/run.sh (clang, -fsanitize=fuzzer,address,undefined).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "identity.h"
#include "language.h"
#include "mime-message.h"
#include "notice.h"
#include "quote.h"
#include "rules.h"
#include "thread.h"

static struct rules *robots, *quotes;
static struct language_model *languages;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	GHashTable *vars = g_hash_table_new(g_str_hash, g_str_equal);
	const char *dir = getenv("DESK_FUZZ_FILTERS");
	char *path;

	if (dir == NULL)
		dir = "filters";
	mail_init();
	g_hash_table_insert(vars, (gpointer)"desk_address",
	    (gpointer)"support@desk.test");
	path = g_build_filename(dir, "robots.rules", NULL);
	robots = rules_load(path, vars, NULL);
	g_free(path);
	path = g_build_filename(dir, "quotes.rules", NULL);
	quotes = rules_load(path, vars, NULL);
	g_free(path);
	path = g_build_filename(dir, "languages.words", NULL);
	languages = language_load(path, NULL);
	g_free(path);
	g_hash_table_destroy(vars);
	if (robots == NULL || quotes == NULL || languages == NULL)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail *mail = mail_parse_bytes((const char *)data, size);
	struct classification class;
	char *reply, *note = NULL, *cut;

	classify_mail(robots, mail, "", &class);
	classification_clear(&class);
	classify_mail(robots, mail, NULL, &class);
	classification_clear(&class);
	reply = quote_reply_text(quotes, mail, "support@desk.test");
	if (!g_utf8_validate(reply, -1, NULL))
		abort();
	(void)language_detect(languages, reply);
	(void)thread_subject_tag(mail->subject);
	(void)identity_auth_verdict(mail, "mx.desk.test", &note);
	g_free(note);
	cut = notice_cut_text(mail->subject, NOTICE_SUBJECT_MAX);
	if (g_utf8_strlen(cut, -1) > NOTICE_SUBJECT_MAX + 3 ||
	    strpbrk(cut, "\r\n") != NULL)
		abort();
	g_free(cut);
	g_free(reply);
	mail_free(mail);
	return 0;
}
