/* pipelab's C client: the run's script with send(2) and the default SIGPIPE disposition it was
 * started with. One JSON line per send on stdout, flushed at once, so a death keeps what came
 * before it. The environment it reads is described in Clients/README.md. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long number(const char *name, long long fallback) {
    const char *text = getenv(name);
    return text ? atoll(text) : fallback;
}

static void pause_ns(long long ns) {
    struct timespec t = {ns / 1000000000, ns % 1000000000};
    while (nanosleep(&t, &t) == -1 && errno == EINTR) {}
}

int main(void) {
    const char *host = getenv("PIPELAB_HOST"), *port = getenv("PIPELAB_PORT");
    if (!host || !port) { fprintf(stderr, "PIPELAB_HOST and PIPELAB_PORT are required\n"); return 64; }
    long long sends = number("PIPELAB_SENDS", 3), bytes = number("PIPELAB_PAYLOAD_BYTES", 5);
    long long sleep_ns = number("PIPELAB_SLEEP_NS", 0), interval_ns = number("PIPELAB_INTERVAL_NS", 0);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV}, *address;
    int status = getaddrinfo(host, port, &hints, &address);
    if (status != 0) { fprintf(stderr, "%s\n", gai_strerror(status)); return 64; }
    int fd = socket(address->ai_family, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, address->ai_addr, address->ai_addrlen) != 0) {
        printf("{\"connect\":false,\"errno\":%d,\"message\":\"%s\"}\n", errno, strerror(errno));
        return 1;
    }
    char *payload = calloc(1, (size_t)bytes);
    if (!payload) return 70;
    for (long long n = 1; n <= sends; n++) {
        if (n == 2) pause_ns(sleep_ns);
        else if (n > 2 && interval_ns > 0) pause_ns(interval_ns);
        ssize_t written = send(fd, payload, (size_t)bytes, 0);
        if (written >= 0) printf("{\"send\":%lld,\"ok\":true,\"bytes\":%zd}\n", n, written);
        else printf("{\"send\":%lld,\"ok\":false,\"errno\":%d,\"message\":\"%s\"}\n", n, errno, strerror(errno));
        fflush(stdout);
    }
    close(fd);
    printf("{\"end\":\"returned\"}\n");
    return 0;
}
