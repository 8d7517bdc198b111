/*
 * udp_device: the one thing Node's dgram cannot do for a DHCP server — a UDP socket bound to a
 * network device. openDeviceSocket(ifname, port, receiveBufferBytes) creates an IPv4 UDP socket with SO_REUSEADDR,
 * SO_BROADCAST and SO_BINDTODEVICE, binds it to 0.0.0.0:port and returns the file descriptor;
 * JavaScript adopts it with dgram's bind({ fd }). Such a socket receives only datagrams that
 * arrived on that device (broadcasts included) and its replies to 255.255.255.255 leave by that
 * device, whatever the routing table says. Node receives on it; sendTo(fd, bytes, address, port)
 * sends a reply with one sendto(), without dgram's per-datagram request and callback.
 */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "udp_send.h"

static napi_value throw_error(napi_env env, const char *code, const char *message) {
  napi_throw_error(env, code, message);
  return NULL;
}

static napi_value open_device_socket(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3) {
    return throw_error(env, "EINVAL", "openDeviceSocket(ifname, port, receiveBufferBytes) takes three arguments");
  }
  char ifname[IF_NAMESIZE];
  size_t length = 0;
  if (napi_get_value_string_utf8(env, argv[0], ifname, sizeof ifname, &length) != napi_ok) {
    return throw_error(env, "EINVAL", "the interface name must be a string");
  }
  if (length == 0 || length >= IF_NAMESIZE - 1) {
    return throw_error(env, "EINVAL", "the interface name must have 1 to 15 characters");
  }
  int32_t port = 0;
  if (napi_get_value_int32(env, argv[1], &port) != napi_ok || port < 0 || port > 65535) {
    return throw_error(env, "EINVAL", "the port must be an integer from 0 to 65535");
  }
  int32_t receive_buffer = 0;
  if (napi_get_value_int32(env, argv[2], &receive_buffer) != napi_ok || receive_buffer < 0) {
    return throw_error(env, "EINVAL", "the receive buffer size must be a non-negative integer (0: system default)");
  }

  char message[256];
  /* Check the device first, so the error names it instead of a bare ENODEV from setsockopt. */
  if (if_nametoindex(ifname) == 0) {
    snprintf(message, sizeof message, "interface %s does not exist", ifname);
    return throw_error(env, "ENODEV", message);
  }

  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    snprintf(message, sizeof message, "socket(): %s", strerror(errno));
    return throw_error(env, "ESOCKET", message);
  }
  int one = 1;
  const char *step = NULL;
  /* Several device-bound sockets share port 67, one per interface. */
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) step = "SO_REUSEADDR";
  /* Needed to send to 255.255.255.255. */
  else if (setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one) < 0) step = "SO_BROADCAST";
  /* The point of this module: receive from and send through this device only. Needs CAP_NET_RAW
     on kernels before 5.7. */
  else if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname) + 1) < 0)
    step = "SO_BINDTODEVICE";
  if (step == NULL) {
    /* The receive queue: deep enough for bursts (a room of phones booting at once), not so deep
       that answers come too late to matter. SO_RCVBUFFORCE passes net.core.rmem_max when we have
       CAP_NET_ADMIN; otherwise SO_RCVBUF, capped by it. */
    if (receive_buffer > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &receive_buffer, sizeof receive_buffer) < 0)
      (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons((uint16_t)port);
    address.sin_addr.s_addr = htonl(INADDR_ANY);
    if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0) step = "bind";
  }
  if (step != NULL) {
    int saved = errno;
    close(fd);
    const char *hint = saved == EPERM || saved == EACCES
                           ? " (needs CAP_NET_RAW for SO_BINDTODEVICE and CAP_NET_BIND_SERVICE for port 67)"
                           : "";
    snprintf(message, sizeof message, "%s on interface %s, port %d: %s%s", step, ifname, port, strerror(saved),
             hint);
    return throw_error(env, saved == EADDRINUSE ? "EADDRINUSE" : saved == EPERM || saved == EACCES ? "EPERM" : "ESOCKET",
                       message);
  }
  /* libuv expects a non-blocking descriptor. */
  int flags = fcntl(fd, F_GETFL, 0);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    int saved = errno;
    close(fd);
    snprintf(message, sizeof message, "fcntl(O_NONBLOCK): %s", strerror(saved));
    return throw_error(env, "ESOCKET", message);
  }
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}

/* Closes a descriptor that was never handed to dgram (error paths in JavaScript). */
static napi_value close_fd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc == 1 &&
      napi_get_value_int32(env, argv[0], &fd) == napi_ok && fd > 2) {
    close(fd);
  }
  return NULL;
}

/*
 * sendTo(fd, bytes, address, port) → 0 or an errno: one sendto() on the device-bound socket,
 * without dgram's per-send request object, callback and event-loop round trip. Never blocks
 * (MSG_DONTWAIT): EAGAIN comes back to the caller, which queues the datagram through dgram.
 */
static napi_value send_to(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 4) {
    return throw_error(env, "EINVAL", "sendTo(fd, bytes, address, port) takes four arguments");
  }
  int32_t fd = -1, port = 0;
  napi_typedarray_type type;
  size_t length = 0, offset = 0;
  void *data = NULL;
  napi_value buffer;
  struct sockaddr_storage to;
  socklen_t to_length = 0;
  int family = 0;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0 ||
      napi_get_typedarray_info(env, argv[1], &type, &length, &data, &buffer, &offset) != napi_ok ||
      type != napi_uint8_array || napi_get_value_int32(env, argv[3], &port) != napi_ok || port < 0 || port > 65535 ||
      !parse_address(env, argv[2], port, &to, &to_length, &family) || family != AF_INET) {
    return throw_error(env, "EINVAL", "sendTo(fd, Uint8Array, IPv4 address, port) got an invalid argument");
  }
  napi_value result;
  napi_create_int32(env, send_datagram(fd, length ? data : "", length, (struct sockaddr *)&to, to_length), &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"openDeviceSocket", NULL, open_device_socket, NULL, NULL, NULL, napi_default, NULL},
      {"closeFd", NULL, close_fd, NULL, NULL, NULL, napi_default, NULL},
      {"sendTo", NULL, send_to, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
