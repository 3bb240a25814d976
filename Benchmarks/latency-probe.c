/* An ordinary process (SCHED_OTHER, default timer slack) that asks to wake every 10 ms for
 * SECONDS seconds and prints how late each wake-up was, in microseconds, one per line: what a
 * host's own services feel while pipelab sweeps beside them (issue 20, docs/internals.md,
 * "Real-time budget"). Absolute deadlines, so one late wake-up does not shift the next. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv) {
    long long seconds = argc > 1 ? atoll(argv[1]) : 60;
    if (seconds < 1 || seconds > 86400) {
        fprintf(stderr, "latency-probe: SECONDS must be from 1 to 86400\n");
        return 64;
    }
    const long long period = 10000000LL;
    long long due = now_ns() + period, end = due + seconds * 1000000000LL;
    while (due < end) {
        struct timespec wake = { .tv_sec = due / 1000000000LL, .tv_nsec = due % 1000000000LL };
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &wake, NULL) != 0) {}
        printf("%lld\n", (now_ns() - due) / 1000);
        due += period;
    }
    return 0;
}
