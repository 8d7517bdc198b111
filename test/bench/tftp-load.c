/*
 * TFTP load generator for the provisioning benchmark (built by test/bench/native-tool.ts with cc).
 *
 *   tftp-load HOST PORT TRANSFERS BLKSIZE LIMIT_SECONDS EXPECTED_FILE NAME [NAME...]
 *
 * Starts TRANSFERS concurrent read requests (octet mode, options blksize=BLKSIZE and tsize=0),
 * transfer i asking for NAME[i % count], each from its own UDP socket on 127.0.0.1 (its transfer
 * identifier), all watched by one epoll. Lock-step like a phone: every DATA block is compared byte
 * for byte with EXPECTED_FILE at its offset and answered with its ACK; a duplicate of the previous
 * block is ACKed again; the last request or ACK is sent again after 1 s of silence. A transfer is
 * complete when its short block arrived, every byte matched and the total equals EXPECTED_FILE's
 * size. Prints one JSON line with the counts, the wall time from the first request to the last
 * transfer's end, and its own CPU time. Bounded: TRANSFERS <= 4096, LIMIT_SECONDS <= 120.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_TRANSFERS 4096
#define RESEND_NS 1000000000LL
#define PACKET_MAX 65536

enum state { RUNNING, COMPLETE, FAILED };

struct transfer {
  int fd;
  enum state state;
  uint16_t peer_port; /* 0 until the first answer names the server's transfer identifier */
  uint32_t expected;  /* next block number, not wrapped */
  uint64_t bytes;
  int64_t last_ns;
  uint8_t last[PACKET_MAX];
  size_t last_len;
};

static struct transfer transfers[MAX_TRANSFERS];
static struct sockaddr_in server;
static const uint8_t *expected_bytes;
static uint64_t expected_size;
static unsigned blksize;
static uint64_t complete, failed, corrupt, errors_received, retransmits, duplicates, strays;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void send_last(struct transfer *t) {
  struct sockaddr_in to = server;
  if (t->peer_port != 0) to.sin_port = htons(t->peer_port);
  /* A full send queue is covered by the resend timer. */
  (void)sendto(t->fd, t->last, t->last_len, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof to);
  t->last_ns = now_ns();
}

static void set_ack(struct transfer *t, uint32_t block) {
  t->last[0] = 0;
  t->last[1] = 4;
  t->last[2] = (uint8_t)(block >> 8);
  t->last[3] = (uint8_t)block;
  t->last_len = 4;
}

static void end(struct transfer *t, enum state state, int epoll_fd) {
  t->state = state;
  if (state == COMPLETE)
    complete++;
  else
    failed++;
  epoll_ctl(epoll_fd, EPOLL_CTL_DEL, t->fd, NULL);
  close(t->fd);
  t->fd = -1;
}

/* The blksize value of an OACK, or 0 when absent or malformed. */
static unsigned oack_blksize(const uint8_t *p, size_t len) {
  size_t at = 2;
  while (at < len) {
    const char *name = (const char *)p + at;
    size_t name_len = strnlen(name, len - at);
    if (at + name_len >= len) return 0;
    const char *value = name + name_len + 1;
    size_t value_at = at + name_len + 1;
    size_t value_len = strnlen(value, len - value_at);
    if (value_at + value_len >= len) return 0;
    if (strcasecmp(name, "blksize") == 0) return (unsigned)strtoul(value, NULL, 10);
    at = value_at + value_len + 1;
  }
  return 0;
}

static void receive(struct transfer *t, int epoll_fd) {
  uint8_t p[PACKET_MAX];
  struct sockaddr_in from;
  socklen_t from_len = sizeof from;
  ssize_t n = recvfrom(t->fd, p, sizeof p, MSG_DONTWAIT, (struct sockaddr *)&from, &from_len);
  if (n < 4) return;
  uint16_t port = ntohs(from.sin_port);
  uint16_t op = (uint16_t)(p[0] << 8 | p[1]);
  if (from.sin_addr.s_addr != server.sin_addr.s_addr || (t->peer_port != 0 && port != t->peer_port)) {
    strays++;
    return;
  }
  if (op == 5) {
    errors_received++;
    end(t, FAILED, epoll_fd);
    return;
  }
  if (t->peer_port == 0) {
    /* The transfer's identifier is the port its first answer comes from: an OACK or block 1. */
    if (!(op == 6 || (op == 3 && p[2] == 0 && p[3] == 1))) {
      strays++;
      return;
    }
    t->peer_port = port;
  }
  if (op == 6) {
    if (t->expected != 1 || oack_blksize(p, (size_t)n) != blksize) {
      end(t, FAILED, epoll_fd);
      return;
    }
    set_ack(t, 0);
    send_last(t);
    return;
  }
  if (op != 3) {
    strays++;
    return;
  }
  uint16_t block = (uint16_t)(p[2] << 8 | p[3]);
  size_t data_len = (size_t)n - 4;
  if (block == (uint16_t)(t->expected - 1) && t->expected > 1) {
    duplicates++;
    send_last(t);
    return;
  }
  if (block != (uint16_t)t->expected) {
    strays++;
    return;
  }
  uint64_t offset = (uint64_t)(t->expected - 1) * blksize;
  if (data_len > blksize || offset + data_len > expected_size ||
      memcmp(p + 4, expected_bytes + offset, data_len) != 0) {
    corrupt++;
    end(t, FAILED, epoll_fd);
    return;
  }
  t->bytes += data_len;
  set_ack(t, t->expected);
  t->expected++;
  send_last(t);
  if (data_len < blksize) end(t, t->bytes == expected_size ? COMPLETE : FAILED, epoll_fd);
}

int main(int argc, char **argv) {
  if (argc < 8) {
    fprintf(stderr, "usage: tftp-load HOST PORT TRANSFERS BLKSIZE LIMIT_SECONDS EXPECTED_FILE NAME [NAME...]\n");
    return 2;
  }
  memset(&server, 0, sizeof server);
  server.sin_family = AF_INET;
  server.sin_port = htons((uint16_t)atoi(argv[2]));
  long count = atol(argv[3]);
  blksize = (unsigned)atoi(argv[4]);
  double limit_seconds = atof(argv[5]);
  if (inet_pton(AF_INET, argv[1], &server.sin_addr) != 1 || count < 1 || count > MAX_TRANSFERS ||
      blksize < 8 || blksize > 65464 || !(limit_seconds > 0 && limit_seconds <= 120)) {
    fprintf(stderr, "tftp-load: bad arguments\n");
    return 2;
  }
  int file = open(argv[6], O_RDONLY);
  struct stat st;
  if (file < 0 || fstat(file, &st) != 0 || st.st_size == 0) {
    fprintf(stderr, "tftp-load: cannot read %s\n", argv[6]);
    return 2;
  }
  expected_size = (uint64_t)st.st_size;
  expected_bytes = mmap(NULL, expected_size, PROT_READ, MAP_PRIVATE, file, 0);
  if (expected_bytes == MAP_FAILED) {
    fprintf(stderr, "tftp-load: cannot map %s\n", argv[6]);
    return 2;
  }
  int names = argc - 7;
  int epoll_fd = epoll_create1(0);
  struct sockaddr_in local = {.sin_family = AF_INET, .sin_port = 0};
  local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int64_t started = now_ns();
  for (long i = 0; i < count; i++) {
    struct transfer *t = &transfers[i];
    t->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (t->fd < 0 || bind(t->fd, (struct sockaddr *)&local, sizeof local) != 0) {
      fprintf(stderr, "tftp-load: socket: %s\n", strerror(errno));
      return 1;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, t->fd, &ev);
    const char *name = argv[7 + i % names];
    t->expected = 1;
    t->last_len = (size_t)snprintf((char *)t->last + 2, sizeof t->last - 2, "%s%coctet%cblksize%c%u%ctsize%c0", name,
                                   0, 0, 0, blksize, 0, 0) +
                  3;
    t->last[0] = 0;
    t->last[1] = 1;
    send_last(t);
  }
  int64_t deadline = started + (int64_t)(limit_seconds * 1e9);
  int64_t finished = started;
  struct epoll_event events[256];
  while (complete + failed < (uint64_t)count) {
    int64_t now = now_ns();
    if (now >= deadline) break;
    int n = epoll_wait(epoll_fd, events, 256, 100);
    for (int i = 0; i < n; i++) {
      struct transfer *t = &transfers[events[i].data.u32];
      if (t->state == RUNNING) receive(t, epoll_fd);
    }
    finished = now_ns();
    /* Silence for RESEND_NS: send the last request or ACK again (checked at most every 100 ms). */
    static int64_t last_scan;
    if (finished - last_scan >= 100000000LL) {
      last_scan = finished;
      for (long i = 0; i < count; i++) {
        struct transfer *t = &transfers[i];
        if (t->state == RUNNING && finished - t->last_ns >= RESEND_NS) {
          retransmits++;
          send_last(t);
        }
      }
    }
  }
  uint64_t unfinished = (uint64_t)count - complete - failed;
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  double cpu = (double)usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + (double)usage.ru_stime.tv_sec +
               usage.ru_stime.tv_usec / 1e6;
  printf("{\"transfers\":%ld,\"complete\":%llu,\"failed\":%llu,\"unfinished\":%llu,\"corrupt\":%llu,"
         "\"errors\":%llu,\"retransmits\":%llu,\"duplicates\":%llu,\"strays\":%llu,\"seconds\":%.6f,"
         "\"cpuSeconds\":%.6f}\n",
         count, (unsigned long long)complete, (unsigned long long)failed, (unsigned long long)unfinished,
         (unsigned long long)corrupt, (unsigned long long)errors_received, (unsigned long long)retransmits,
         (unsigned long long)duplicates, (unsigned long long)strays, (double)(finished - started) / 1e9, cpu);
  return 0;
}
