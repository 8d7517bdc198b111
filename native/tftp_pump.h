/*
 * The TFTP data pump: for a transfer served from bytes in memory, the native edge answers the
 * client's in-order ACKs itself, sending the next window of DATA blocks straight from those bytes,
 * without a call into JavaScript per block. It takes only the ACKs that move the transfer forward
 * and are not the last one; everything else (duplicates, the final ACK, errors, other senders) goes
 * to JavaScript, whose state machine (src/provision/tftp-transfer.ts) stays the authority and first
 * takes over the progress recorded here.
 */
#ifndef SITEBOOT_TFTP_PUMP_H
#define SITEBOOT_TFTP_PUMP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct {
  int active;
  const uint8_t *bytes;
  size_t size;
  uint32_t block_size;
  uint32_t window;
  int64_t blocks; /* size / block_size + 1: the last block is short, maybe empty */
  int64_t acked;  /* highest block acknowledged; -1 while the OACK is unacknowledged */
  struct sockaddr_storage peer;
  socklen_t peer_len;
  /* Shared with JavaScript: [0] = acked, [1] = when the last window went out (ms since the epoch). */
  double *progress;
} tftp_pump_t;

/*
 * 1 when `data` (from `from`) is an ACK the pump answered by sending the next window on `fd`;
 * 0 when JavaScript must see it.
 */
int tftp_pump_take(tftp_pump_t *pump, int fd, const uint8_t *data, size_t length, const struct sockaddr_storage *from,
                   socklen_t from_len);

#endif
