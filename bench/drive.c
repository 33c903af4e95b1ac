/*
 * drive.c - run a command once per message, as postfix's pipe(8) would,
 * and time each run.
 *
 *	drive [-j JOBS] [-o OUT] LIST -- PROGRAM ARG...
 *
 * LIST has one message a line: "FILE<TAB>SENDER<TAB>RECIPIENT". For each,
 * PROGRAM runs with FILE on stdin and stdout/stderr on /dev/null; in its
 * arguments "%f" stands for SENDER and "%r" for RECIPIENT. Up to JOBS
 * (1) run at once, as postfix runs up to its process limit of pipes.
 *
 * OUT (default stdout) gets one line a message, in LIST's order:
 * "MICROSECONDS EXIT MAXRSS_KB", the wall time from the spawn to the
 * reaping of the child, its exit status (-SIGNAL when killed) and its
 * peak RSS (wait4's rusage). The last line on stderr is
 * "total SECONDS messages N failed F".
 *
 * Bench tool only (bench/run.sh builds it); it is not installed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct job {
	char *file, *sender, *rcpt;
	pid_t pid;
	double start;		/* seconds, CLOCK_MONOTONIC */
	long usec;
	int rc;
	long maxrss;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
die(const char *what)
{
	perror(what);
	exit(2);
}

static int
spawn(struct job *j, char **tmpl, int ntmpl)
{
	posix_spawn_file_actions_t fa;
	char **argv = calloc(ntmpl + 1, sizeof(*argv));
	int i, rc;

	for (i = 0; i < ntmpl; i++) {
		if (strcmp(tmpl[i], "%f") == 0)
			argv[i] = j->sender;
		else if (strcmp(tmpl[i], "%r") == 0)
			argv[i] = j->rcpt;
		else
			argv[i] = tmpl[i];
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, j->file, O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	j->start = now();
	rc = posix_spawn(&j->pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	free(argv);
	if (rc != 0) {
		errno = rc;
		die(tmpl[0]);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *out_path = NULL;
	int jobs = 1, ch, i, running = 0, failed = 0;
	size_t n = 0, cap = 0, next = 0, done = 0;
	struct job *list = NULL;
	char *line = NULL;
	size_t linecap = 0;
	FILE *in, *out;
	double t0;

	while ((ch = getopt(argc, argv, "+j:o:")) != -1) {
		switch (ch) {
		case 'j':
			jobs = atoi(optarg);
			break;
		case 'o':
			out_path = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (jobs < 1 || optind + 2 > argc || strcmp(argv[optind + 1], "--"))
		goto usage;
	if ((in = fopen(argv[optind], "r")) == NULL)
		die(argv[optind]);
	while (getline(&line, &linecap, in) > 0) {
		char *f = strtok(line, "\t\n"), *s = strtok(NULL, "\t\n"),
		    *r = strtok(NULL, "\t\n");

		if (f == NULL || r == NULL)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			list = realloc(list, cap * sizeof(*list));
		}
		memset(&list[n], 0, sizeof(list[n]));
		list[n].file = strdup(f);
		/* a null sender is "-" in LIST, an empty argument to PROGRAM */
		list[n].sender = strdup(strcmp(s, "-") == 0 ? "" : s);
		list[n].rcpt = strdup(r);
		n++;
	}
	fclose(in);
	out = out_path ? fopen(out_path, "w") : stdout;
	if (out == NULL)
		die(out_path);

	t0 = now();
	while (done < n) {
		struct rusage ru;
		int status;
		pid_t pid;

		while (running < jobs && next < n) {
			spawn(&list[next++], argv + optind + 2,
			    argc - optind - 2);
			running++;
		}
		pid = wait4(-1, &status, 0, &ru);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			die("wait4");
		}
		for (i = 0; (size_t)i < next; i++)
			if (list[i].pid == pid)
				break;
		if ((size_t)i == next)
			continue;
		list[i].usec = (long)((now() - list[i].start) * 1e6);
		list[i].rc = WIFEXITED(status) ? WEXITSTATUS(status) :
		    -WTERMSIG(status);
		list[i].maxrss = ru.ru_maxrss;
		list[i].pid = 0;
		failed += list[i].rc != 0;
		running--;
		done++;
	}
	for (i = 0; (size_t)i < n; i++)
		fprintf(out, "%ld %d %ld\n", list[i].usec, list[i].rc,
		    list[i].maxrss);
	if (out != stdout)
		fclose(out);
	fprintf(stderr, "total %.6f messages %zu failed %d\n", now() - t0, n,
	    failed);
	return 0;
usage:
	fprintf(stderr, "usage: drive [-j JOBS] [-o OUT] LIST -- PROGRAM "
	    "ARG...\n");
	return 2;
}
