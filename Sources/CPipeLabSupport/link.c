#define _GNU_SOURCE
#include "pipelab_support.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

/* Sets one IPv4 address ioctl (SIOCSIFADDR, SIOCSIFNETMASK) on the device named in `request`. */
static int set_address(int fd, struct ifreq *request, unsigned long what, const char *text) {
    struct sockaddr_in *address = (struct sockaddr_in *)&request->ifr_addr;
    memset(address, 0, sizeof *address);
    address->sin_family = AF_INET;
    inet_pton(AF_INET, text, &address->sin_addr);
    return ioctl(fd, what, request);
}

int pipelab_link_open(const char *name, const char *address, int *tun_fd) {
    int tun = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (tun < 0) return errno;
    struct ifreq request;
    memset(&request, 0, sizeof request);
    request.ifr_flags = IFF_TUN | IFF_NO_PI;
    strncpy(request.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(tun, TUNSETIFF, &request) != 0) {
        int saved = errno;
        close(tun);
        return saved;
    }
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int status = fd < 0 ? -1 : 0;
    if (status == 0) status = set_address(fd, &request, SIOCSIFADDR, address);
    if (status == 0) status = set_address(fd, &request, SIOCSIFNETMASK, "255.255.255.0");
    if (status == 0) status = ioctl(fd, SIOCGIFFLAGS, &request);
    if (status == 0) {
        request.ifr_flags |= IFF_UP | IFF_RUNNING;
        status = ioctl(fd, SIOCSIFFLAGS, &request);
    }
    int saved = errno;
    if (fd >= 0) close(fd);
    if (status != 0) {
        close(tun);
        return saved;
    }
    *tun_fd = tun;
    return 0;
}

#include <poll.h>

int pipelab_wait_readable(int fd, long long timeout_ns) {
    struct pollfd ready = { .fd = fd, .events = POLLIN };
    struct timespec wait = { .tv_sec = timeout_ns / 1000000000LL, .tv_nsec = timeout_ns % 1000000000LL };
    return ppoll(&ready, 1, &wait, NULL);
}
