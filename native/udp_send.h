/*
 * What both UDP modules (udp_batch.c, udp_device.c) need to send one datagram: a literal address
 * turned into a socket address, and one sendto() that never blocks. Included by each module, which
 * is built on its own.
 */
#ifndef SITEBOOT_UDP_SEND_H
#define SITEBOOT_UDP_SEND_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <node_api.h>
#include <string.h>
#include <sys/socket.h>

/* A literal IPv4 or IPv6 address (a JavaScript string) and a port → *out; 0 when it is not one. */
static int parse_address(napi_env env, napi_value value, int32_t port, struct sockaddr_storage *out,
                         socklen_t *len, int *family) {
  char text[64];
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, text, sizeof text, &length) != napi_ok || length == 0 ||
      length >= sizeof text - 1) {
    return 0;
  }
  memset(out, 0, sizeof *out);
  struct sockaddr_in *sin = (struct sockaddr_in *)out;
  struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;
  if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)port);
    *len = sizeof *sin;
    *family = AF_INET;
    return 1;
  }
  if (inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1) {
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons((uint16_t)port);
    *len = sizeof *sin6;
    *family = AF_INET6;
    return 1;
  }
  return 0;
}

/* One sendto() with MSG_DONTWAIT, retried on EINTR: 0 when sent, otherwise the errno (EAGAIN when
   the send queue is full). */
static int send_datagram(int fd, const void *data, size_t length, const struct sockaddr *to, socklen_t to_len) {
  ssize_t sent;
  do {
    sent = sendto(fd, data, length, MSG_DONTWAIT, to, to_len);
  } while (sent < 0 && errno == EINTR);
  return sent < 0 ? errno : 0;
}

#endif
