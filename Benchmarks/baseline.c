/* The bare C baseline of pipelab's benchmark: DESIGN.md's classic run on tcp4 loopback with
 * sleep 0, in one thread, recording nothing. The client connects and sends 5 bytes; the peer
 * accepts, reads once and closes; the client sends twice more (the last one fails with EPIPE).
 *
 *   baseline loop N   N runs with SIGPIPE ignored, in this process
 *   baseline fork N   N runs, each in a forked child with SIGPIPE's default action (it dies of it)
 *   baseline pair N [PAIRS]
 *                     N runs with the race a fair harness makes, recording nothing: in PAIRS pairs
 *                     (default 2 per CPU, pipelab's --jobs at sleep 0) of a peer process and a client
 *                     process kept across runs. The peer connects and accepts, hands the client its
 *                     end (SCM_RIGHTS) just before its recv, the start barrier, and closes once the
 *                     data is there; the client sends three times at once. Both are in the
 *                     real-time class as pipelab's are (SCHED_FIFO 2: the peer from just before
 *                     the hand until its close, the client from send #1 through send #3), so the
 *                     peer woken by send #1 runs on the other CPU rather than preempting the
 *                     client: what a sleep-0 race costs on this machine before anything is
 *                     recorded. Its sends race the close, so not every run fails: the line
 *                     ends with how many runs had a send fail, to set beside pipelab's signatures.
 *
 * Prints one line: "<mode> <runs> runs <seconds> s <runs/s> runs/s". Teardown closes with
 * SO_LINGER {1,0}, as pipelab's harness does, so no run leaves a TIME_WAIT behind. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

/* Into SCHED_FIFO 2 or back to SCHED_OTHER; without the privilege (no CAP_SYS_NICE) nothing changes. */
static void real_time(int on) {
    struct sched_param parameter = {.sched_priority = on ? 2 : 0};
    sched_setscheduler(0, on ? SCHED_FIFO : SCHED_OTHER, &parameter);
}

static int send_descriptor(int channel, int fd) {
    char byte = 1, control[CMSG_SPACE(sizeof fd)];
    struct iovec vector = {&byte, 1};
    struct msghdr message = {.msg_iov = &vector, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof fd);
    memcpy(CMSG_DATA(header), &fd, sizeof fd);
    return sendmsg(channel, &message, 0) == 1 ? 0 : -1;
}

static int receive_descriptor(int channel) {
    char byte, control[CMSG_SPACE(sizeof(int))];
    struct iovec vector = {&byte, 1};
    struct msghdr message = {.msg_iov = &vector, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    struct cmsghdr *header;
    int fd;
    if (recvmsg(channel, &message, 0) != 1 || (header = CMSG_FIRSTHDR(&message)) == NULL) return -1;
    memcpy(&fd, CMSG_DATA(header), sizeof fd);
    return fd;
}

/* The client process of a pair: one run per descriptor handed to it; answers with how many sends failed. */
static void pair_client(int channel) {
    for (;;) {
        int fd = receive_descriptor(channel);
        if (fd < 0) _exit(0);
        char failed = 0;
        real_time(1);
        for (int send_number = 0; send_number < 3; send_number++) failed += send(fd, "hello", 5, 0) < 0;
        real_time(0);
        close(fd);
        if (send(channel, &failed, 1, 0) != 1) _exit(0);
    }
}

/* The peer process of a pair: `runs` runs; exits with 0 when every run's order and answer went
 * through, having added the runs in which a send failed to `*failing_runs`. */
static void pair_peer(long runs, long *failing_runs) {
    int channel[2];
    char buffer[1024], answer;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, channel) != 0) die("socketpair");
    pid_t client_process = fork();
    if (client_process < 0) die("fork");
    if (client_process == 0) {
        close(channel[0]);
        pair_client(channel[1]);
    }
    close(channel[1]);
    for (long i = 0; i < runs; i++) {
        int client = socket(AF_INET, SOCK_STREAM, 0);
        if (client < 0) die("socket");
        if (connect(client, (struct sockaddr *)&address, sizeof address) != 0) die("connect");
        int peer = accept(listener, NULL, NULL);
        if (peer < 0) die("accept");
        real_time(1);
        if (send_descriptor(channel[0], client) != 0) die("hand");
        recv(peer, buffer, sizeof buffer, 0);
        close(peer);
        real_time(0);
        if (recv(channel[0], &answer, 1, 0) != 1) die("answer");
        *failing_runs += answer > 0;
        abortive_close(client);
    }
    close(channel[0]);
    waitpid(client_process, NULL, 0);
    _exit(0);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    int pairing = argc >= 2 && strcmp(argv[1], "pair") == 0;
    long runs = argc >= 3 ? atol(argv[2]) : 0;
    long pairs = argc == 4 ? atol(argv[3]) : 2 * sysconf(_SC_NPROCESSORS_ONLN);
    if (!(argc == 3 || (pairing && argc == 4)) || runs < 1 || pairs < 1 ||
        (strcmp(argv[1], "loop") != 0 && strcmp(argv[1], "fork") != 0 && !pairing)) {
        fprintf(stderr, "usage: baseline loop|fork RUNS, or baseline pair RUNS [PAIRS] (RUNS and PAIRS at least 1)\n");
        return 64;
    }
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
    if (pairing) {
        /* One counter per pair, shared with the peers: none writes another's. */
        long *failing_runs = mmap(NULL, pairs * sizeof *failing_runs, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (failing_runs == MAP_FAILED) die("mmap");
        for (long pair = 0; pair < pairs; pair++) {
            pid_t peer_process = fork();
            if (peer_process < 0) die("fork");
            /* The runs split as evenly as they go: the first pairs take one more. */
            if (peer_process == 0) pair_peer(runs / pairs + (pair < runs % pairs), &failing_runs[pair]);
        }
        int status, complete = 1;
        while (wait(&status) > 0) complete &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
        if (!complete) {
            fprintf(stderr, "baseline: a pair's peer or client failed\n");
            return 2;
        }
        double seconds = now() - start;
        for (long pair = 0; pair < pairs; pair++) failures += failing_runs[pair];
        printf("%s %ld runs %.3f s %.0f runs/s in %ld pairs, %ld runs with a failed send\n", argv[1], runs, seconds,
               runs / seconds, pairs, failures);
        return 0;
    }
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
