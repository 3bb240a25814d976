#define _GNU_SOURCE
#include "pipelab_support.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <unistd.h>

/* A TPACKET_V2 receive ring: the kernel stamps each packet as it copies it into the ring, at the
   moment the packet is sent or received, whatever the process is doing; a plain recvmsg() would
   stamp packets that arrived before the kernel's timestamping switched on at the time they are
   read. Frames of 256 bytes hold a packet's headers; 16 MB hold 65,536 of them. */
enum { frame_size = 256, block_size = 1 << 16, block_count = 256, frame_count = block_size / frame_size * block_count };

struct pipelab_capture {
    int fd;
    unsigned char *ring;
    unsigned next;
};

struct pipelab_capture *pipelab_capture_open(int *error) {
    int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (fd < 0) { *error = errno; return NULL; }
    int version = TPACKET_V2;
    struct tpacket_req request = { .tp_block_size = block_size, .tp_block_nr = block_count,
                                   .tp_frame_size = frame_size, .tp_frame_nr = frame_count };
    void *ring = MAP_FAILED;
    if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof version) != 0
        || setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &request, sizeof request) != 0
        || (ring = mmap(NULL, (size_t)block_size * block_count, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED) {
        *error = errno;
        close(fd);
        return NULL;
    }
    struct pipelab_capture *capture = malloc(sizeof *capture);
    if (capture == NULL) {
        *error = ENOMEM;
        munmap(ring, (size_t)block_size * block_count);
        close(fd);
        return NULL;
    }
    /* A client process forked by the worker never reads the ring: without this, each fork would
       copy the page tables of all 16 MB of it, and each exit tear them down. */
    (void)madvise(ring, (size_t)block_size * block_count, MADV_DONTFORK);
    capture->fd = fd;
    capture->ring = ring;
    capture->next = 0;
    return capture;
}

long pipelab_capture_next(struct pipelab_capture *capture, unsigned char *bytes, unsigned long capacity,
                          unsigned long *length, long long *realtime_ns, int *outgoing) {
    struct tpacket2_hdr *frame = (struct tpacket2_hdr *)(capture->ring + (size_t)capture->next * frame_size);
    if (!(__atomic_load_n(&frame->tp_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) return 0;
    const struct sockaddr_ll *from = (const struct sockaddr_ll *)((unsigned char *)frame + TPACKET_ALIGN(sizeof *frame));
    unsigned long copied = frame->tp_snaplen < capacity ? frame->tp_snaplen : capacity;
    memcpy(bytes, (unsigned char *)frame + frame->tp_net, copied);
    *length = frame->tp_len;
    *realtime_ns = (long long)frame->tp_sec * 1000000000LL + frame->tp_nsec;
    *outgoing = from->sll_pkttype == PACKET_OUTGOING;
    __atomic_store_n(&frame->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    capture->next = (capture->next + 1) % frame_count;
    return (long)copied;
}

void pipelab_capture_close(struct pipelab_capture *capture) {
    munmap(capture->ring, (size_t)block_size * block_count);
    close(capture->fd);
    free(capture);
}
