/*
 * Open-loop NTP load generator for the NTP benchmark (built by test/bench/native-tool.ts with cc).
 *
 *   ntp-load HOST PORT RATE SECONDS THREADS
 *
 * THREADS threads, each with its own UDP socket connected to HOST:PORT, offer RATE/THREADS mode-3
 * requests per second for SECONDS (paced in batches with sendmmsg), read replies with recvmmsg, and
 * go on reading for 300 ms after the last send. Every request carries a unique transmit timestamp
 * (a per-run nonce, the thread and a sequence number); a reply counts only if it is mode 4, not a
 * kiss-o'-death (stratum 0), echoes a transmit timestamp this thread sent as its origin timestamp,
 * and is the first reply to that request. Prints one JSON line with the counts and its CPU time.
 * Bounded: RATE <= 2 000 000, SECONDS <= 30, THREADS <= 16.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define NTP_LEN 48
#define DRAIN_NS 300000000LL

struct worker {
  int fd;
  double rate;
  int64_t duration_ns;
  uint64_t tag; /* nonce and thread: the top 16 bits of the transmit timestamp */
  uint64_t capacity;
  uint8_t *seen; /* one bit per sequence number */
  /* results */
  uint64_t sent, received, invalid, duplicate, kod, errors;
};

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void put_be64(uint8_t *p, uint64_t v) {
  for (int i = 7; i >= 0; i--, v >>= 8) p[i] = (uint8_t)v;
}

static uint64_t get_be64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
  return v;
}

/* 16 check bits of a sequence number (murmur3's finaliser), so that an origin altered in any bit of
 * the sequence number is not taken for the reply to another request. */
static uint64_t check_bits(uint64_t tag, uint64_t seq) {
  uint32_t h = (uint32_t)seq ^ (uint32_t)(tag >> 48) * 0x9e3779b9u;
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return (uint64_t)(h & 0xffff) << 32;
}

/* The transmit timestamp of request `seq`: tag (16 bits), check (16 bits), sequence number (32). */
static uint64_t stamp(const struct worker *w, uint64_t seq) { return w->tag | check_bits(w->tag, seq) | seq; }

static void check_reply(struct worker *w, const uint8_t *p, unsigned len) {
  if (len < NTP_LEN || (p[0] & 7) != 4) {
    w->invalid++;
    return;
  }
  uint64_t origin = get_be64(p + 24);
  uint64_t seq = origin & 0xffffffffULL;
  if (seq >= w->sent || origin != stamp(w, seq)) {
    w->invalid++;
    return;
  }
  if (w->seen[seq >> 3] & (1u << (seq & 7))) {
    w->duplicate++;
    return;
  }
  w->seen[seq >> 3] |= (uint8_t)(1u << (seq & 7));
  if (p[1] == 0) w->kod++;
  else w->received++;
}

/* Reads what is queued without waiting; returns how many datagrams it read. */
static int drain(struct worker *w) {
  static __thread uint8_t bufs[BATCH][512];
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < BATCH; i++) {
    iov[i].iov_base = bufs[i];
    iov[i].iov_len = sizeof bufs[i];
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  int n = recvmmsg(w->fd, msgs, BATCH, MSG_DONTWAIT, NULL);
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) w->errors++;
    return 0;
  }
  for (int i = 0; i < n; i++) check_reply(w, bufs[i], msgs[i].msg_len);
  return n;
}

static void *run_worker(void *arg) {
  struct worker *w = arg;
  uint8_t packets[BATCH][NTP_LEN];
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  memset(packets, 0, sizeof packets);
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < BATCH; i++) {
    packets[i][0] = 0x23; /* LI 0, version 4, mode 3 */
    packets[i][2] = 6;    /* poll */
    iov[i].iov_base = packets[i];
    iov[i].iov_len = NTP_LEN;
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  int64_t start = now_ns();
  for (;;) {
    int64_t elapsed = now_ns() - start;
    if (elapsed >= w->duration_ns) break;
    uint64_t due = (uint64_t)((double)elapsed / 1e9 * w->rate);
    if (due > w->capacity) due = w->capacity;
    int progressed = 0;
    while (w->sent < due) {
      uint64_t count = due - w->sent;
      if (count > BATCH) count = BATCH;
      for (uint64_t i = 0; i < count; i++) put_be64(packets[i] + 40, stamp(w, w->sent + i));
      int n = sendmmsg(w->fd, msgs, (unsigned)count, MSG_DONTWAIT);
      if (n <= 0) {
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) w->errors++;
        break; /* the send queue is full: read replies, then try again */
      }
      w->sent += (uint64_t)n;
      progressed = 1;
      if (drain(w) > 0) progressed = 1;
    }
    if (drain(w) > 0) progressed = 1;
    if (!progressed) {
      struct pollfd pfd = {.fd = w->fd, .events = POLLIN};
      poll(&pfd, 1, 1);
    }
  }
  int64_t stop = now_ns() + DRAIN_NS;
  while (now_ns() < stop) {
    if (drain(w) == 0) {
      struct pollfd pfd = {.fd = w->fd, .events = POLLIN};
      poll(&pfd, 1, 10);
    }
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s HOST PORT RATE SECONDS THREADS\n", argv[0]);
    return 2;
  }
  struct sockaddr_in server = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
  double rate = atof(argv[3]);
  double seconds = atof(argv[4]);
  int threads = atoi(argv[5]);
  if (inet_pton(AF_INET, argv[1], &server.sin_addr) != 1 || !(rate > 0 && rate <= 2e6) ||
      !(seconds > 0 && seconds <= 30) || threads < 1 || threads > 16) {
    fprintf(stderr, "ntp-load: bad arguments (RATE <= 2000000, SECONDS <= 30, THREADS 1..16)\n");
    return 2;
  }
  struct worker workers[16];
  pthread_t ids[16];
  srand((unsigned)(now_ns() ^ getpid()));
  uint64_t nonce = (uint64_t)(rand() & 0xff);
  for (int i = 0; i < threads; i++) {
    struct worker *w = &workers[i];
    memset(w, 0, sizeof *w);
    w->rate = rate / threads;
    w->duration_ns = (int64_t)(seconds * 1e9);
    w->tag = (nonce << 56) | ((uint64_t)(i + 1) << 48);
    w->capacity = (uint64_t)(w->rate * seconds) + BATCH;
    w->seen = calloc(w->capacity / 8 + 1, 1);
    w->fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (!w->seen || w->fd < 0 || connect(w->fd, (struct sockaddr *)&server, sizeof server) != 0) {
      perror("ntp-load: socket");
      return 1;
    }
    /* Large queues so that the generator's own socket is not where replies are lost. */
    int size = 4 << 20;
    if (setsockopt(w->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
      setsockopt(w->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    if (setsockopt(w->fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0)
      setsockopt(w->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  }
  for (int i = 0; i < threads; i++) pthread_create(&ids[i], NULL, run_worker, &workers[i]);
  uint64_t sent = 0, received = 0, invalid = 0, duplicate = 0, kod = 0, errors = 0;
  for (int i = 0; i < threads; i++) {
    pthread_join(ids[i], NULL);
    sent += workers[i].sent;
    received += workers[i].received;
    invalid += workers[i].invalid;
    duplicate += workers[i].duplicate;
    kod += workers[i].kod;
    errors += workers[i].errors;
    close(workers[i].fd);
    free(workers[i].seen);
  }
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  double cpu_ms = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 +
                  (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
  printf("{\"sent\":%llu,\"received\":%llu,\"invalid\":%llu,\"duplicate\":%llu,\"kod\":%llu,"
         "\"errors\":%llu,\"seconds\":%g,\"cpuMs\":%.0f}\n",
         (unsigned long long)sent, (unsigned long long)received, (unsigned long long)invalid,
         (unsigned long long)duplicate, (unsigned long long)kod, (unsigned long long)errors, seconds, cpu_ms);
  return 0;
}
