/*
 * quote-time.c - "make bench" case (7): how long trimming a 1 MB reply
 * takes, for each text of tests/unit/quote-cases.h (the long quote a
 * real reply has and the pathological ones, plain text and HTML),
 * against the target of 50 ms (issue 9). The test suite checks only
 * that the time is linear (tests/unit/test-quote.c): a slow machine
 * must not fail a test.
 *
 *   quote-time QUOTES_RULES [SIZE]
 *
 * Prints one line per case, "NAME<TAB>BYTES<TAB>MS", MS the best of at
 * least 5 runs and of as many as half a second allows, in the thread's
 * CPU time, each with the page faults of fresh memory, as the one run
 * of a deskgate process has; the rules' load is not counted. Exits 1
 * when a case is over the target.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

#include "quote.h"
#include "rules.h"
#include "../tests/unit/quote-cases.h"

#define TARGET_MS	50.0
#define RUNS_MIN	5
#define RUN_SECS	0.5

static double
cpu_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) {
		perror("quote-time: clock_gettime");
		exit(2);
	}
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int
main(int argc, char **argv)
{
	static const struct quote_context ctx = {
		.subject = "Re: x", .from_name = "Bob Smith",
		.from_addr = "bob@shop.example", .desk_addr = "s@desk.test",
	};
	size_t size = argc > 2 ? strtoul(argv[2], NULL, 10) : 1024 * 1024;
	GError *error = NULL;
	struct rules *quotes;
	int over = 0;
	size_t i;

	quote_cases_fresh_pages();
	if (argc < 2 || size == 0) {
		fprintf(stderr, "usage: quote-time QUOTES_RULES [SIZE]\n");
		return 2;
	}
	quotes = rules_load(argv[1], NULL, &error);
	if (quotes == NULL) {
		fprintf(stderr, "quote-time: %s\n", error->message);
		g_error_free(error);
		return 2;
	}
	for (i = 0; i < G_N_ELEMENTS(linear_cases) + G_N_ELEMENTS(html_cases);
	    i++) {
		bool html = i >= G_N_ELEMENTS(linear_cases);
		const struct linear_case *c = html ?
		    &html_cases[i - G_N_ELEMENTS(linear_cases)] :
		    &linear_cases[i];
		char *text = repeat_text(c->head, c->unit, size, c->tail);
		double best = -1, spent = 0;
		int r;

		for (r = 0; r < RUNS_MIN || spent < RUN_SECS * 1e3; r++) {
			double start = cpu_ms(), ms;

			g_free(html ? quote_html_reply(quotes, text,
			    strlen(text), NULL, &ctx) :
			    quote_trim_with(quotes, text, &ctx));
			ms = cpu_ms() - start;
			spent += ms;
			if (best < 0 || ms < best)
				best = ms;
		}
		printf("%s\t%zu\t%.1f\n", c->what, strlen(text), best);
		over += best > TARGET_MS;
		g_free(text);
	}
	rules_free(quotes);
	return over > 0;
}
