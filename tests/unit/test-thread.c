/*
 * test-thread.c - thread.c's pure parts: the subject tag parser and the
 * rule names. (Threading against a store is tested end to end in
 * tests/e2e/0015-threading.t and 0110-postfix-replies.t.)
 */
#include "config.h"

#include "thread.h"

static void
test_subject_tag(void)
{
	static const struct {
		const char *subject;
		int64_t tag;
	} cases[] = {
		{ "[#1] Cart", 1 },
		{ "Re: [#123] Cart", 123 },
		{ "RE: Fwd: AW: Отв: [#4838] Ошибка", 4838 },
		{ "Re: [# 42 ] spaces inside", 42 },
		{ "Re: Cart [#7]", 7 },
		{ "[#] empty", 0 },
		{ "[#abc] not a number", 0 },
		{ "[#0] zero", 0 },
		{ "[#12 the bracket never closes", 0 },
		{ "#12 no brackets", 0 },
		{ "[#999999999999] too long", 0 },
		{ "[#x] then [#9] the first good one", 9 },
		{ "", 0 },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_test_message("%s", cases[i].subject);
		g_assert_cmpint(thread_subject_tag(cases[i].subject), ==,
		    cases[i].tag);
	}
}

static void
test_rule_names(void)
{
	g_assert_cmpstr(thread_rule_name(THREAD_NEW), ==, "new");
	g_assert_cmpstr(thread_rule_name(THREAD_REPLY_ADDRESS), ==,
	    "reply-address");
	g_assert_cmpstr(thread_rule_name(THREAD_MESSAGE_ID), ==, "message-id");
	g_assert_cmpstr(thread_rule_name(THREAD_SUBJECT_TAG), ==,
	    "subject-tag");
	g_assert_cmpstr(thread_rule_name(THREAD_BOUNCE), ==, "bounce");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/thread/subject-tag", test_subject_tag);
	g_test_add_func("/thread/rule-names", test_rule_names);
	return g_test_run();
}
