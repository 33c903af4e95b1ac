/*
 * test-fault.c - store_fault_point() in a build without
 * --enable-fault-injection: DESKGATE_FAULT naming the point does nothing.
 *
 * The tests' own build trees are configured with the switch (the crash
 * tests need it), so this file undefines DESK_FAULT_INJECTION before
 * store.h, exactly as config.h of a plain build leaves it: every caller
 * of store_fault_point() includes store.h, so what this file compiles is
 * what intake.c and outbox.c compile in an installed binary.
 */
#include "config.h"

#undef DESK_FAULT_INJECTION	/* as in a build without the switch */

#include <stdlib.h>

#include "store.h"

/* With DESKGATE_FAULT set to each point, the process lives on. */
static void
test_plain_build_ignores_fault(void)
{
	static const char *const points[] = {
		"before-begin", "after-ticket", "after-message-row",
		"after-attachments", "after-change", "after-ledger",
		"after-outbox", "before-commit", "after-commit",
		"outbox-after-send",
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(points); i++) {
		g_assert_cmpint(setenv("DESKGATE_FAULT", points[i], 1), ==, 0);
		store_fault_point(points[i]);	/* a kill would end the test */
	}
	/* and the N-th pass of a point */
	g_assert_cmpint(setenv("DESKGATE_FAULT", "after-ledger:2", 1), ==, 0);
	store_fault_point("after-ledger");
	store_fault_point("after-ledger");
	g_assert_cmpuint(i, ==, 10);
	g_assert_cmpint(unsetenv("DESKGATE_FAULT"), ==, 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/fault/plain-build-ignores-DESKGATE_FAULT",
	    test_plain_build_ignores_fault);
	return g_test_run();
}
