/*
 * execrate: runs a program N times with P parallel workers and reports how
 * many runs exited 0, the elapsed time and the rate.
 *
 *   execrate PATH N P
 *   ran=N failed=0 elapsed_ns=... rate=...
 *
 * Each worker is a forked copy of this process (forked, not exec'd, so it
 * adds no exec events of its own) that loops vfork + execve + waitpid:
 * vfork shares the address space, so the cost measured is the exec, not
 * the copy of a page table. Built by TestAgentExecRate with:
 *   gcc -static -O2 -o execrate execrate.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long parse(const char *s, const char *what)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v <= 0) {
		fprintf(stderr, "execrate: %s \"%s\" is not a positive number\n", what, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: execrate PATH N P [RATE]\n");
		return 2;
	}
	const char *path = argv[1];
	long n = parse(argv[2], "N"), p = parse(argv[3], "P");
	long rate = argc == 5 ? parse(argv[4], "RATE") : 0;
	if (p > n)
		p = n;
	/* ok[i] and bad[i] are worker i's counts, shared with this process. */
	long *counts = mmap(NULL, 2 * p * sizeof(long), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (counts == MAP_FAILED) {
		perror("execrate: mmap");
		return 1;
	}
	char *const cargv[] = {(char *)path, NULL};
	char *const cenv[] = {NULL};
	long long start = now_ns();
	for (long w = 0; w < p; w++) {
		long runs = n / p + (w < n % p);
		pid_t pid = fork();
		if (pid < 0) {
			perror("execrate: fork");
			return 1;
		}
		if (pid > 0)
			continue;
		long ok = 0, bad = 0;
		for (long i = 0; i < runs; i++) {
			if (rate) {
				long long at = start + (long long)((i * p + w) * (1e9 / rate));
				struct timespec ts = {at / 1000000000LL, at % 1000000000LL};
				while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
					;
			}
			pid_t c = vfork();
			if (c == 0) {
				execve(path, cargv, cenv);
				_exit(127);
			}
			int st;
			if (c < 0 || waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
				bad++;
			else
				ok++;
		}
		counts[2 * w] = ok;
		counts[2 * w + 1] = bad;
		_exit(0);
	}
	int failed_workers = 0;
	for (long w = 0; w < p; w++) {
		int st;
		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			failed_workers++;
	}
	long long elapsed = now_ns() - start;
	long ok = 0, bad = 0;
	for (long w = 0; w < p; w++) {
		ok += counts[2 * w];
		bad += counts[2 * w + 1];
	}
	printf("ran=%ld failed=%ld elapsed_ns=%lld rate=%.0f\n", ok, bad, elapsed, ok / (elapsed / 1e9));
	if (failed_workers) {
		fprintf(stderr, "execrate: %d workers failed\n", failed_workers);
		return 1;
	}
	return bad ? 1 : 0;
}
