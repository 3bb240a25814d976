/* A separate-process reference for pipelab's sleep-0 race (issue 18, item 11), sharing no code
 * with pipelab: a peer process and a client process, each started by fork() from this driver.
 * The peer accepts (TCP) or is connected (Unix, a listening socket in the abstract namespace),
 * reads once (up to 1024 bytes) and closes. The client connects and sends 5 bytes three times
 * with no pause, with SIGPIPE as DISPOSITION says:
 *   default  SIG_DFL (a SIGPIPE kills the client)
 *   ignore   SIG_IGN
 *   handler  a handler that counts deliveries
 *   nosignal MSG_NOSIGNAL on each send
 *   blocked  SIGPIPE masked (it stays pending)
 * Each run prints its signature in pipelab's notation: one token per send (ok, the errno's name),
 * `+SIGPIPE` when the signal came during that send, `killed:SIGPIPE` when it ended the client.
 *
 *   race-reference tcp4|unix DISPOSITION REPEATS   prints one signature per line
 *
 * The client writes each token to a pipe as soon as the call returns, so a client killed in its
 * third send still reports the first two. Teardown closes with SO_LINGER {1,0} so no run leaves a
 * TIME_WAIT behind. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t deliveries;
static void count_sigpipe(int signal) { (void)signal; deliveries++; }
static void die(const char *what) { perror(what); exit(2); }

static int listening(int unix_domain, struct sockaddr_storage *address, socklen_t *length) {
    int fd = socket(unix_domain ? AF_UNIX : AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    memset(address, 0, sizeof *address);
    if (unix_domain) {
        struct sockaddr_un *un = (struct sockaddr_un *)address;
        un->sun_family = AF_UNIX;
        /* Abstract namespace: nothing on disk, gone with the socket. */
        int n = snprintf(un->sun_path + 1, sizeof un->sun_path - 1, "race-reference-%d", (int)getpid());
        *length = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
    } else {
        struct sockaddr_in *in = (struct sockaddr_in *)address;
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        *length = sizeof *in;
    }
    if (bind(fd, (struct sockaddr *)address, *length) != 0 || listen(fd, 1) != 0) die("bind/listen");
    if (!unix_domain && getsockname(fd, (struct sockaddr *)address, length) != 0) die("getsockname");
    return fd;
}

static void peer(int listener) {
    int fd = accept(listener, NULL, NULL);
    if (fd < 0) _exit(3);
    char buffer[1024];
    (void)recv(fd, buffer, sizeof buffer, 0);
    close(fd);
    _exit(0);
}

static void client(int unix_domain, const char *disposition, struct sockaddr_storage *address, socklen_t length, int report) {
    int flags = 0;
    sigset_t pipe_only;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    if (strcmp(disposition, "default") == 0) signal(SIGPIPE, SIG_DFL);
    else if (strcmp(disposition, "ignore") == 0) signal(SIGPIPE, SIG_IGN);
    else if (strcmp(disposition, "handler") == 0) {
        struct sigaction action = {0};
        action.sa_handler = count_sigpipe;
        sigaction(SIGPIPE, &action, NULL);
    } else if (strcmp(disposition, "nosignal") == 0) { signal(SIGPIPE, SIG_DFL); flags = MSG_NOSIGNAL; }
    else if (strcmp(disposition, "blocked") == 0) sigprocmask(SIG_BLOCK, &pipe_only, NULL);
    else _exit(4);
    int fd = socket(unix_domain ? AF_UNIX : AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)address, length) != 0) _exit(5);
    const char payload[5] = {0};
    for (int n = 1; n <= 3; n++) {
        sigset_t pending;
        if (strcmp(disposition, "blocked") == 0) {
            /* A SIGPIPE left pending by an earlier send is taken away, so each send's is its own. */
            int taken;
            sigpending(&pending);
            if (sigismember(&pending, SIGPIPE)) sigwait(&pipe_only, &taken);
        }
        sig_atomic_t before = deliveries;
        ssize_t sent = send(fd, payload, sizeof payload, flags);
        int error = errno;
        int raised = deliveries != before;
        if (strcmp(disposition, "blocked") == 0) { sigpending(&pending); raised = sigismember(&pending, SIGPIPE); }
        char token[64];
        int length_written = sent == (ssize_t)sizeof payload ? snprintf(token, sizeof token, "%sok", n > 1 ? "," : "")
            : sent >= 0 ? snprintf(token, sizeof token, "%sshort:%zd", n > 1 ? "," : "", sent)
            : snprintf(token, sizeof token, "%s%s", n > 1 ? "," : "", strerrorname_np(error));
        if (raised) length_written += snprintf(token + length_written, sizeof token - length_written, "+SIGPIPE");
        if (write(report, token, (size_t)length_written) < 0) _exit(6);
    }
    struct linger abortive = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
    close(fd);
    _exit(0);
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: race-reference tcp4|unix DISPOSITION REPEATS\n"); return 64; }
    int unix_domain = strcmp(argv[1], "unix") == 0;
    if (!unix_domain && strcmp(argv[1], "tcp4") != 0) { fprintf(stderr, "transport: tcp4 or unix\n"); return 64; }
    int repeats = atoi(argv[3]);
    for (int r = 0; r < repeats; r++) {
        struct sockaddr_storage address;
        socklen_t length;
        int listener = listening(unix_domain, &address, &length);
        int report[2];
        if (pipe(report) != 0) die("pipe");
        pid_t peer_pid = fork();
        if (peer_pid == 0) { close(report[0]); close(report[1]); peer(listener); }
        pid_t client_pid = fork();
        if (client_pid == 0) { close(listener); close(report[0]); client(unix_domain, argv[2], &address, length, report[1]); }
        close(listener);
        close(report[1]);
        char signature[256] = {0};
        size_t used = 0;
        ssize_t got;
        while (used < sizeof signature - 1 && (got = read(report[0], signature + used, sizeof signature - 1 - used)) > 0) used += (size_t)got;
        close(report[0]);
        int status = 0;
        waitpid(client_pid, &status, 0);
        waitpid(peer_pid, NULL, 0);
        if (WIFSIGNALED(status)) printf("%s%skilled:SIG%s\n", signature, used ? "," : "", sigabbrev_np(WTERMSIG(status)));
        else printf("%s\n", signature);
    }
    return 0;
}
