/*
 * Open-loop DHCPv4 load generator for the direct path phones use (built by test/bench/native-tool.ts
 * with cc): no relay, no giaddr. Frames leave IFACE from 0.0.0.0:68 to 255.255.255.255:67 through a
 * packet socket, as a booting phone sends them, and replies are read from the same socket.
 *
 *   dhcp-load IFACE RATE SECONDS CLIENTS
 *
 * Starts RATE exchanges per second for SECONDS: a DISCOVER (broadcast flag set) from one of CLIENTS
 * MACs in turn, each with its own xid; the first OFFER to it is answered at once with a REQUEST for
 * the offered address to the offering server; the first ACK completes the 4-way exchange. Goes on
 * reading for 300 ms after the last DISCOVER. A reply counts only if it is a BOOTREPLY to an xid this
 * run sent, for that xid's MAC, of the type the exchange expects next. Prints one JSON line.
 * Bounded: RATE <= 100 000, SECONDS <= 60, CLIENTS 1..65 535.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IP_UDP 28 /* IPv4 header without options + UDP header */
#define BOOTP_MIN 300
#define DRAIN_NS 300000000LL

enum { DISCOVER = 1, OFFER = 2, REQUEST = 3, ACK = 5, NAK = 6 };
enum { WAIT_OFFER = 0, WAIT_ACK = 1, DONE = 2 };

static int fd;
static struct sockaddr_ll broadcast;
static uint32_t nonce;
static unsigned clients;
static uint8_t *state; /* per exchange */
static uint64_t started;
static uint64_t offers, requests, acks, naks, invalid, duplicate, errors;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Exchange n's xid (the run's nonce in the top 8 bits) and its client's MAC: the same CLIENTS MACs
 * in every run, as a room of phones, so a run after a warm-up finds their leases, not a full pool. */
static uint32_t xid_of(uint64_t n) { return (nonce << 24) | (uint32_t)(n & 0xffffff); }
static void mac_of(uint64_t n, uint8_t mac[6]) {
  unsigned c = (unsigned)(n % clients);
  uint8_t m[6] = {0x02, 0x5b, 0x00, 0x00, (uint8_t)(c >> 8), (uint8_t)c};
  memcpy(mac, m, 6);
}

static uint16_t ip_checksum(const uint8_t *p, int len) {
  uint32_t sum = 0;
  for (int i = 0; i < len; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

/* Sends exchange n's DISCOVER, or its REQUEST for `offered` from `server` (network order). */
static int send_message(uint64_t n, int type, uint32_t offered, uint32_t server) {
  uint8_t frame[IP_UDP + BOOTP_MIN];
  memset(frame, 0, sizeof frame);
  uint8_t *b = frame + IP_UDP;
  b[0] = 1; /* BOOTREQUEST */
  b[1] = 1; /* Ethernet */
  b[2] = 6;
  uint32_t xid = htonl(xid_of(n));
  memcpy(b + 4, &xid, 4);
  b[10] = 0x80; /* broadcast flag: both servers broadcast their replies */
  mac_of(n, b + 28);
  uint8_t *o = b + 236;
  *o++ = 99, *o++ = 130, *o++ = 83, *o++ = 99; /* magic cookie */
  *o++ = 53, *o++ = 1, *o++ = (uint8_t)type;
  if (type == REQUEST) {
    *o++ = 50, *o++ = 4, memcpy(o, &offered, 4), o += 4;
    *o++ = 54, *o++ = 4, memcpy(o, &server, 4), o += 4;
  }
  static const uint8_t prl[] = {55, 8, 1, 3, 6, 15, 42, 66, 119, 150};
  memcpy(o, prl, sizeof prl), o += sizeof prl;
  *o++ = 255;
  /* IPv4 0.0.0.0 -> 255.255.255.255, UDP 68 -> 67 without a checksum (allowed over IPv4). */
  uint16_t total = sizeof frame;
  frame[0] = 0x45;
  frame[2] = (uint8_t)(total >> 8), frame[3] = (uint8_t)total;
  frame[8] = 64;
  frame[9] = 17;
  memset(frame + 16, 0xff, 4);
  uint16_t sum = ip_checksum(frame, 20);
  frame[10] = (uint8_t)(sum >> 8), frame[11] = (uint8_t)sum;
  frame[21] = 68, frame[23] = 67;
  frame[24] = (uint8_t)((total - 20) >> 8), frame[25] = (uint8_t)(total - 20);
  if (sendto(fd, frame, sizeof frame, MSG_DONTWAIT, (struct sockaddr *)&broadcast, sizeof broadcast) < 0) {
    errors++;
    return -1;
  }
  return 0;
}

/* Option `code`'s value in a BOOTP message's options field, or NULL. */
static const uint8_t *option(const uint8_t *b, int len, int code, int *size) {
  int i = 240;
  while (i < len) {
    int c = b[i];
    if (c == 255) break;
    if (c == 0) {
      i++;
      continue;
    }
    if (i + 1 >= len || i + 2 + b[i + 1] > len) break;
    if (c == code) {
      *size = b[i + 1];
      return b + i + 2;
    }
    i += 2 + b[i + 1];
  }
  return NULL;
}

static void handle_reply(const uint8_t *ip, int len) {
  int ihl = (ip[0] & 15) * 4;
  const uint8_t *b = ip + ihl + 8;
  int blen = len - ihl - 8;
  if (blen < 240 || b[0] != 2 || memcmp(b + 236, "\x63\x82\x53\x63", 4) != 0) {
    invalid++;
    return;
  }
  uint32_t xid = (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 | (uint32_t)b[6] << 8 | b[7];
  uint64_t n = xid & 0xffffff;
  uint8_t mac[6];
  mac_of(n, mac);
  int size = 0;
  const uint8_t *type = option(b, blen, 53, &size);
  if (xid >> 24 != nonce || n >= started || memcmp(b + 28, mac, 6) != 0 || !type || size != 1) {
    invalid++;
    return;
  }
  if (*type == OFFER) {
    if (state[n] != WAIT_OFFER) {
      duplicate++;
      return;
    }
    const uint8_t *server = option(b, blen, 54, &size);
    uint32_t offered, id;
    memcpy(&offered, b + 16, 4);
    if (!server || size != 4 || offered == 0) {
      invalid++;
      return;
    }
    memcpy(&id, server, 4);
    offers++;
    state[n] = WAIT_ACK;
    if (send_message(n, REQUEST, offered, id) == 0) requests++;
  } else if (*type == ACK || *type == NAK) {
    if (state[n] != WAIT_ACK) {
      duplicate++;
      return;
    }
    state[n] = DONE;
    if (*type == ACK) acks++;
    else naks++;
  } else {
    invalid++;
  }
}

static int drain(void) {
  uint8_t buf[2048];
  int count = 0;
  for (;;) {
    ssize_t len = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (len < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) errors++;
      return count;
    }
    if (len >= IP_UDP) handle_reply(buf, (int)len);
    count++;
  }
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s IFACE RATE SECONDS CLIENTS\n", argv[0]);
    return 2;
  }
  double rate = atof(argv[2]);
  double seconds = atof(argv[3]);
  long count = atol(argv[4]);
  unsigned ifindex = if_nametoindex(argv[1]);
  if (ifindex == 0 || !(rate > 0 && rate <= 100000) || !(seconds > 0 && seconds <= 60) || count < 1 ||
      count > 65535) {
    fprintf(stderr, "dhcp-load: bad arguments (IFACE must exist, RATE <= 100000, SECONDS <= 60, "
                    "CLIENTS 1..65535)\n");
    return 2;
  }
  clients = (unsigned)count;
  uint64_t capacity = (uint64_t)(rate * seconds) + 1;
  if (capacity > 0xffffff) {
    fprintf(stderr, "dhcp-load: at most %u exchanges per run\n", 0xffffff);
    return 2;
  }
  state = calloc(capacity, 1);
  fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
  /* Only UDP to port 68 reaches this socket: replies, not the requests it sends itself. */
  struct sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),         BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, 4),
      BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),        BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 68, 0, 1), BPF_STMT(BPF_RET | BPF_K, 0xffff),
      BPF_STMT(BPF_RET | BPF_K, 0),
  };
  struct sock_fprog filter = {.len = sizeof code / sizeof code[0], .filter = code};
  struct sockaddr_ll local = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP), .sll_ifindex = (int)ifindex};
  if (!state || fd < 0 || setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &filter, sizeof filter) != 0 ||
      bind(fd, (struct sockaddr *)&local, sizeof local) != 0) {
    perror("dhcp-load: packet socket");
    return 1;
  }
  int size = 4 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  broadcast = local;
  broadcast.sll_halen = 6;
  memset(broadcast.sll_addr, 0xff, 6);
  srand((unsigned)(now_ns() ^ getpid()));
  nonce = (uint32_t)(rand() & 0xff);

  int64_t start = now_ns();
  int64_t duration = (int64_t)(seconds * 1e9);
  for (;;) {
    int64_t elapsed = now_ns() - start;
    if (elapsed >= duration) break;
    uint64_t due = (uint64_t)((double)elapsed / 1e9 * rate);
    if (due > capacity) due = capacity;
    int progressed = 0;
    /* At most 2 ms worth at once, so a stall does not turn into one burst. */
    for (uint64_t burst = (uint64_t)(rate / 500) + 1; started < due && burst > 0; burst--) {
      if (send_message(started, DISCOVER, 0, 0) != 0) break;
      started++;
      progressed = 1;
    }
    if (drain() > 0) progressed = 1;
    if (!progressed) {
      struct pollfd pfd = {.fd = fd, .events = POLLIN};
      poll(&pfd, 1, 1);
    }
  }
  int64_t stop = now_ns() + DRAIN_NS;
  while (now_ns() < stop) {
    if (drain() == 0) {
      struct pollfd pfd = {.fd = fd, .events = POLLIN};
      poll(&pfd, 1, 10);
    }
  }
  printf("{\"discovers\":%llu,\"offers\":%llu,\"requests\":%llu,\"acks\":%llu,\"naks\":%llu,"
         "\"invalid\":%llu,\"duplicate\":%llu,\"errors\":%llu,\"seconds\":%g}\n",
         (unsigned long long)started, (unsigned long long)offers, (unsigned long long)requests,
         (unsigned long long)acks, (unsigned long long)naks, (unsigned long long)invalid,
         (unsigned long long)duplicate, (unsigned long long)errors, seconds);
  return 0;
}
