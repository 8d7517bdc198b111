/* The TFTP data pump (see tftp_pump.h). The ACK rule is TftpReadTransfer.onAck's, for the one case
   it handles: an ACK inside the sent window that is not the last block's. */
#define _GNU_SOURCE
#include "tftp_pump.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <time.h>

/* Blocks handed to one sendmmsg() when the window is wider than one block. */
#define SEND_CHUNK 32

static int same_peer(const tftp_pump_t *pump, const struct sockaddr_storage *from, socklen_t from_len) {
  if (from->ss_family != pump->peer.ss_family) return 0;
  if (from->ss_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)from, *b = (const struct sockaddr_in *)&pump->peer;
    return from_len >= sizeof *a && a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
  }
  if (from->ss_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)from, *b = (const struct sockaddr_in6 *)&pump->peer;
    return from_len >= sizeof *a && a->sin6_port == b->sin6_port &&
           memcmp(&a->sin6_addr, &b->sin6_addr, sizeof a->sin6_addr) == 0;
  }
  return 0;
}

/* Blocks first..last (counted from 1) as DATA packets: a 4-byte header and a slice of the bytes,
   gathered by the kernel, so nothing is copied here. A full send queue drops the rest: the
   retransmission timer in JavaScript covers it, as for any lost block. */
static void send_blocks(tftp_pump_t *pump, int fd, int64_t first, int64_t last) {
  uint8_t headers[SEND_CHUNK][4];
  struct iovec iov[SEND_CHUNK][2];
  struct mmsghdr msgs[SEND_CHUNK];
  while (first <= last) {
    int count = 0;
    for (; count < SEND_CHUNK && first <= last; count++, first++) {
      uint64_t offset = (uint64_t)(first - 1) * pump->block_size;
      size_t length = offset >= pump->size ? 0 : pump->size - offset;
      if (length > pump->block_size) length = pump->block_size;
      headers[count][0] = 0;
      headers[count][1] = 3;
      headers[count][2] = (uint8_t)(first >> 8);
      headers[count][3] = (uint8_t)first;
      iov[count][0].iov_base = headers[count];
      iov[count][0].iov_len = 4;
      iov[count][1].iov_base = (void *)(pump->bytes + (length ? offset : 0));
      iov[count][1].iov_len = length;
      struct msghdr *h = &msgs[count].msg_hdr;
      memset(h, 0, sizeof *h);
      h->msg_name = &pump->peer;
      h->msg_namelen = pump->peer_len;
      h->msg_iov = iov[count];
      h->msg_iovlen = length ? 2 : 1;
    }
    int done = 0;
    while (done < count) {
      int r = count - done == 1 ? (sendmsg(fd, &msgs[done].msg_hdr, MSG_DONTWAIT) < 0 ? -1 : 1)
                                : sendmmsg(fd, msgs + done, (unsigned)(count - done), MSG_DONTWAIT);
      if (r < 0) {
        if (errno == EINTR) continue;
        return;
      }
      done += r;
    }
  }
}

int tftp_pump_take(tftp_pump_t *pump, int fd, const uint8_t *data, size_t length, const struct sockaddr_storage *from,
                   socklen_t from_len) {
  if (!pump->active || length != 4 || data[0] != 0 || data[1] != 4 || !same_peer(pump, from, from_len)) return 0;
  int64_t acked = pump->acked;
  int64_t sent_up_to = acked < 0 ? 0 : acked + pump->window;
  if (sent_up_to > pump->blocks) sent_up_to = pump->blocks;
  /* The acknowledged block as a full count: the one at or after `acked` whose low 16 bits match. */
  int64_t block = acked + (((int64_t)(data[2] << 8 | data[3]) - acked) & 0xffff);
  if (block == acked || block > sent_up_to || block == pump->blocks) return 0;
  pump->acked = block;
  int64_t last = block + pump->window;
  if (last > pump->blocks) last = pump->blocks;
  send_blocks(pump, fd, block + 1, last);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  pump->progress[0] = (double)block;
  pump->progress[1] = (double)now.tv_sec * 1000.0 + (double)(now.tv_nsec / 1000000);
  return 1;
}
