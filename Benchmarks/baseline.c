/* The bare C baseline of pipelab's benchmark: DESIGN.md's classic run on tcp4 loopback with
 * sleep 0, in one thread, recording nothing. The client connects and sends 5 bytes; the peer
 * accepts, reads once and closes; the client sends twice more (the last one fails with EPIPE).
 *
 *   baseline loop N   N runs with SIGPIPE ignored, in this process
 *   baseline fork N   N runs, each in a forked child with SIGPIPE's default action (it dies of it)
 *
 * Prints one line: "<mode> <runs> runs <seconds> s <runs/s> runs/s". Teardown closes with
 * SO_LINGER {1,0}, as pipelab's harness does, so no run leaves a TIME_WAIT behind. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_in address;
static int listener;

static void die(const char *what) { perror(what); exit(2); }

static void abortive_close(int fd) {
    struct linger l = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close(fd);
}

/* One classic run; returns 1 when the last send failed with EPIPE, as it must. */
static int classic_run(void) {
    char buffer[1024];
    int client = socket(AF_INET, SOCK_STREAM, 0);
    if (client < 0) die("socket");
    if (connect(client, (struct sockaddr *)&address, sizeof address) != 0) die("connect");
    int peer = accept(listener, NULL, NULL);
    if (peer < 0) die("accept");
    send(client, "hello", 5, 0);
    recv(peer, buffer, sizeof buffer, 0);
    close(peer);
    send(client, "hello", 5, 0);
    ssize_t last = send(client, "hello", 5, 0);
    abortive_close(client);
    return last < 0;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 3 || (strcmp(argv[1], "loop") != 0 && strcmp(argv[1], "fork") != 0)) {
        fprintf(stderr, "usage: baseline loop|fork RUNS\n");
        return 64;
    }
    long runs = atol(argv[2]);
    listener = socket(AF_INET, SOCK_STREAM, 0);
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 128) != 0 ||
        getsockname(listener, (struct sockaddr *)&address, &length) != 0) die("listen");

    int forking = strcmp(argv[1], "fork") == 0;
    signal(SIGPIPE, forking ? SIG_DFL : SIG_IGN);
    long failures = 0;
    double start = now();
    for (long i = 0; i < runs; i++) {
        if (!forking) {
            failures += classic_run();
            continue;
        }
        pid_t child = fork();
        if (child < 0) die("fork");
        if (child == 0) _exit(classic_run() ? 0 : 1);  /* reached only if SIGPIPE did not kill it */
        int status;
        waitpid(child, &status, 0);
        failures += WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE;
    }
    double seconds = now() - start;
    if (failures != runs) fprintf(stderr, "warning: %ld of %ld runs ended as expected\n", failures, runs);
    printf("%s %ld runs %.3f s %.0f runs/s\n", argv[1], runs, seconds, runs / seconds);
    return 0;
}
