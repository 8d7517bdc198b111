/*
 * udp_batch: the batched UDP edge for DNS, NTP and DHCP. One UDP socket (IPv4 or IPv6) watched by a
 * libuv poll handle on Node's own loop. When it is readable, recvmmsg() takes up to `slots`
 * datagrams at once into preallocated ArrayBuffers shared with JavaScript, each with its source
 * address and the kernel's receive timestamp (SO_TIMESTAMPNS, CLOCK_REALTIME), and ONE JavaScript
 * callback sees the whole batch. JavaScript writes replies into a shared send arena and calls
 * sendBatch(), which hands them all to sendmmsg(). Protocol logic stays in JavaScript.
 *
 * For DHCP the socket can be bound to a network device (SO_BINDTODEVICE), the one thing Node's
 * dgram cannot do: it then receives only datagrams that arrived on that device, broadcasts
 * included, and its replies to 255.255.255.255 (SO_BROADCAST) leave by that device whatever the
 * routing table says.
 *
 * Shared memory layout (all created here with napi_create_arraybuffer, referenced until close):
 *   recv      slots × slotBytes payload bytes, datagram i at i × slotBytes
 *   recvMeta  Int32 × 4 per slot: length, source port, family (4|6), flags (1 = truncated,
 *             2 = answered by the TFTP data pump: JavaScript skips it)
 *   recvAddr  16 bytes per slot: IPv4 in the first 4, or the IPv6 address
 *   recvTime  Float64 × 2 per slot: kernel receive time (sec, nsec); then 2 more: the time the
 *             batch was handed to JavaScript; then 2 more: the time the last sendBatch returned
 *   send      slots × slotBytes reply bytes, reply j at j × slotBytes
 *   sendMeta  Int32 × 2 per slot: length, index of the received datagram whose source it goes
 *             back to; then 1 more: the errno of the last failed send (0 if none)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "tftp_pump.h"

#define MAX_SLOTS 1024
#define MIN_SLOT_BYTES 64
#define MAX_SLOT_BYTES 65536
/* Rounds of recvmmsg per readable event before yielding to the rest of the loop. */
#define MAX_ROUNDS 8

enum { BUF_RECV, BUF_RECV_META, BUF_RECV_ADDR, BUF_RECV_TIME, BUF_SEND, BUF_SEND_META, BUF_COUNT };

typedef struct {
  napi_env env;
  int fd;
  int family;
  uint32_t slots;
  uint32_t slot_bytes;
  uv_poll_t poll;
  napi_ref callback;
  napi_async_context async;
  napi_ref buffers[BUF_COUNT];
  uint8_t *recv;
  int32_t *recv_meta;
  uint8_t *recv_addr;
  double *recv_time;
  uint8_t *send;
  int32_t *send_meta;
  struct mmsghdr *rmsgs;
  struct iovec *riov;
  struct sockaddr_storage *rnames;
  socklen_t *rname_lens;
  uint32_t last_count;
  int timestamps; /* SO_TIMESTAMPNS is on: datagrams come with control messages */
  char *rctrl;
  size_t ctrl_bytes;
  struct mmsghdr *smsgs;
  struct iovec *siov;
  int closing;     /* close() was called: no more receive, send or callbacks */
  int close_done;  /* libuv's close callback ran */
  int finalized;   /* the JavaScript handle was collected */
  int in_callback; /* a batch is being delivered (close then waits for the delivery loop to stop) */
  tftp_pump_t pump;
  napi_ref pump_refs[2]; /* the bytes the pump sends from and its progress array, held while it runs */
} edge_t;

static napi_value throw_error(napi_env env, const char *code, const char *message) {
  napi_throw_error(env, code, message);
  return NULL;
}

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char message[256];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  char code[32];
  const char *name = NULL;
  switch (err) {
    case EADDRINUSE: name = "EADDRINUSE"; break;
    case EACCES: name = "EACCES"; break;
    case EPERM: name = "EPERM"; break;
    case EADDRNOTAVAIL: name = "EADDRNOTAVAIL"; break;
    case EAFNOSUPPORT: name = "EAFNOSUPPORT"; break;
    case EINVAL: name = "EINVAL"; break;
    case EMFILE: name = "EMFILE"; break;
    default: break;
  }
  if (name) snprintf(code, sizeof code, "%s", name);
  else snprintf(code, sizeof code, "E%d", err);
  return throw_error(env, code, message);
}

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

static void realtime(double *out) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  out[0] = (double)ts.tv_sec;
  out[1] = (double)ts.tv_nsec;
}

static void free_edge(edge_t *e) {
  free(e->rmsgs);
  free(e->riov);
  free(e->rnames);
  free(e->rname_lens);
  free(e->rctrl);
  free(e->smsgs);
  free(e->siov);
  free(e);
}

static void on_closed(uv_handle_t *handle) {
  edge_t *e = (edge_t *)handle->data;
  e->close_done = 1;
  if (e->finalized) free_edge(e);
}

static void cleanup_hook(void *arg);

static void stop_pump(edge_t *e, int with_env) {
  e->pump.active = 0;
  for (int i = 0; i < 2; i++) {
    if (with_env && e->pump_refs[i]) napi_delete_reference(e->env, e->pump_refs[i]);
    e->pump_refs[i] = NULL;
  }
}

/* Stops receiving and releases the socket. `with_env`: JavaScript references can still be released. */
static void shut(edge_t *e, int with_env) {
  if (e->closing) return;
  e->closing = 1;
  uv_poll_stop(&e->poll);
  uv_close((uv_handle_t *)&e->poll, on_closed);
  if (e->fd >= 0) close(e->fd);
  e->fd = -1;
  stop_pump(e, with_env);
  if (with_env) {
    napi_remove_env_cleanup_hook(e->env, cleanup_hook, e);
    for (int i = 0; i < BUF_COUNT; i++) {
      if (e->buffers[i]) napi_delete_reference(e->env, e->buffers[i]);
      e->buffers[i] = NULL;
    }
    if (e->callback) napi_delete_reference(e->env, e->callback);
    e->callback = NULL;
    if (e->async) napi_async_destroy(e->env, e->async);
    e->async = NULL;
  }
}

/* The environment is going away (process or worker exit) with the socket still open. */
static void cleanup_hook(void *arg) { shut((edge_t *)arg, 0); }

static void finalize_edge(napi_env env, void *data, void *hint) {
  (void)hint;
  edge_t *e = (edge_t *)data;
  e->finalized = 1;
  if (!e->closing) {
    /* Only at environment teardown (the references keep an open socket alive otherwise). */
    napi_remove_env_cleanup_hook(env, cleanup_hook, e);
    shut(e, 0);
  }
  if (e->close_done) free_edge(e);
}

static void deliver(edge_t *e, int32_t count) {
  napi_env env = e->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value callback, recv, argv[1], result;
  if (napi_get_reference_value(env, e->callback, &callback) == napi_ok && callback != NULL &&
      napi_get_global(env, &recv) == napi_ok && napi_create_int32(env, count, &argv[0]) == napi_ok) {
    e->in_callback = 1;
    napi_status status = napi_make_callback(env, e->async, recv, callback, 1, argv, &result);
    e->in_callback = 0;
    if (status == napi_pending_exception) {
      napi_value exception;
      if (napi_get_and_clear_last_exception(env, &exception) == napi_ok) napi_fatal_exception(env, exception);
    }
  }
  napi_close_handle_scope(env, scope);
}

/* recvmmsg() into the slots, as it would return. A single slot without control messages (a TFTP
   transfer's socket) is read with recvfrom(), which copies no message header in from user space. */
static int receive(edge_t *e) {
  if (e->slots > 1 || e->timestamps) return recvmmsg(e->fd, e->rmsgs, e->slots, MSG_DONTWAIT, NULL);
  struct msghdr *h = &e->rmsgs[0].msg_hdr;
  socklen_t name_len = sizeof(struct sockaddr_storage);
  /* MSG_TRUNC: the datagram's real length, so a cut one is flagged as recvmsg() would. */
  ssize_t r = recvfrom(e->fd, e->recv, e->slot_bytes, MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&e->rnames[0],
                       &name_len);
  if (r < 0) return -1;
  h->msg_namelen = name_len;
  h->msg_controllen = 0;
  h->msg_flags = (size_t)r > e->slot_bytes ? MSG_TRUNC : 0;
  e->rmsgs[0].msg_len = (size_t)r > e->slot_bytes ? e->slot_bytes : (unsigned)r;
  return 1;
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  (void)events;
  edge_t *e = (edge_t *)handle->data;
  if (e->closing) return;
  if (status < 0) {
    deliver(e, -(int32_t)(status == UV_EBADF ? EBADF : EIO));
    return;
  }
  for (int round = 0; round < MAX_ROUNDS && !e->closing; round++) {
    for (uint32_t i = 0; i < e->slots; i++) {
      struct msghdr *h = &e->rmsgs[i].msg_hdr;
      h->msg_namelen = sizeof(struct sockaddr_storage);
      h->msg_controllen = e->ctrl_bytes;
      h->msg_flags = 0;
    }
    int n = receive(e);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      deliver(e, -(int32_t)errno);
      return;
    }
    if (n == 0) return;
    double now[2];
    realtime(now);
    int taken = 0;
    for (int i = 0; i < n; i++) {
      struct msghdr *h = &e->rmsgs[i].msg_hdr;
      int32_t *meta = &e->recv_meta[i * 4];
      uint8_t *addr = &e->recv_addr[i * 16];
      meta[0] = (int32_t)e->rmsgs[i].msg_len;
      meta[3] = (h->msg_flags & MSG_TRUNC) ? 1 : 0;
      e->rname_lens[i] = h->msg_namelen;
      const struct sockaddr_storage *name = &e->rnames[i];
      if (name->ss_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)name;
        meta[1] = ntohs(sin->sin_port);
        meta[2] = 4;
        memset(addr, 0, 16);
        memcpy(addr, &sin->sin_addr, 4);
      } else if (name->ss_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)name;
        meta[1] = ntohs(sin6->sin6_port);
        meta[2] = 6;
        memcpy(addr, &sin6->sin6_addr, 16);
      } else {
        meta[1] = 0;
        meta[2] = 0;
        memset(addr, 0, 16);
      }
      double *stamp = &e->recv_time[i * 2];
      stamp[0] = now[0];
      stamp[1] = now[1];
      for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
            c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
          struct timespec ts;
          memcpy(&ts, CMSG_DATA(c), sizeof ts);
          stamp[0] = (double)ts.tv_sec;
          stamp[1] = (double)ts.tv_nsec;
        }
      }
      if (e->pump.active && tftp_pump_take(&e->pump, e->fd, e->recv + (size_t)i * e->slot_bytes, (size_t)meta[0],
                                           name, h->msg_namelen)) {
        meta[3] |= 2;
        taken++;
      }
    }
    e->last_count = (uint32_t)n;
    realtime(&e->recv_time[e->slots * 2]);
    /* A batch the pump answered whole needs no call into JavaScript. */
    if (taken < n) deliver(e, n);
    /* One slot: the socket is level-triggered, so the loop calls again if more is queued; asking
       here would cost a syscall that finds nothing in the usual case of one datagram per wake. */
    if ((uint32_t)n < e->slots || e->slots == 1) return;
  }
}

static int get_int_property(napi_env env, napi_value object, const char *key, int32_t fallback, int32_t *out) {
  napi_value value;
  napi_valuetype type;
  *out = fallback;
  if (napi_get_named_property(env, object, key, &value) != napi_ok) return 0;
  if (napi_typeof(env, value, &type) != napi_ok) return 0;
  if (type == napi_undefined) return 1;
  if (type == napi_boolean) {
    bool b = false;
    napi_get_value_bool(env, value, &b);
    *out = b ? 1 : 0;
    return 1;
  }
  if (type != napi_number) return 0;
  return napi_get_value_int32(env, value, out) == napi_ok;
}

static void *make_buffer(napi_env env, edge_t *e, int which, size_t bytes, napi_value result, const char *key) {
  void *data = NULL;
  napi_value buffer;
  if (napi_create_arraybuffer(env, bytes, &data, &buffer) != napi_ok) return NULL;
  memset(data, 0, bytes);
  if (napi_create_reference(env, buffer, 1, &e->buffers[which]) != napi_ok) return NULL;
  if (napi_set_named_property(env, result, key, buffer) != napi_ok) return NULL;
  return data;
}

/* A string property (empty when absent or undefined); 0 when it is present but empty, not a string,
   or longer than size - 1 bytes (room for the NUL: a 15-byte name fits IF_NAMESIZE exactly). */
static int get_string_property(napi_env env, napi_value object, const char *key, char *out, size_t size) {
  napi_value value;
  napi_valuetype type;
  size_t length = 0;
  out[0] = '\0';
  if (napi_get_named_property(env, object, key, &value) != napi_ok) return 0;
  if (napi_typeof(env, value, &type) != napi_ok) return 0;
  if (type == napi_undefined) return 1;
  if (type != napi_string) return 0;
  /* The full length first: a copy into `out` would silently cut a longer string to fit. */
  if (napi_get_value_string_utf8(env, value, NULL, 0, &length) != napi_ok) return 0;
  if (length == 0 || length >= size) return 0;
  return napi_get_value_string_utf8(env, value, out, size, &length) == napi_ok;
}

/* open(address, port, { slots, slotBytes, receiveBufferBytes, reuseAddress, ipv6Only, device, broadcast,
   timestamps }, onBatch) */
static napi_value open_socket(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 4) {
    return throw_error(env, "EINVAL", "open(address, port, options, onBatch) takes four arguments");
  }
  int32_t port = -1;
  if (napi_get_value_int32(env, argv[1], &port) != napi_ok || port < 0 || port > 65535) {
    return throw_error(env, "EINVAL", "the port must be an integer from 0 to 65535");
  }
  struct sockaddr_storage bind_addr;
  socklen_t bind_len = 0;
  int family = 0;
  if (!parse_address(env, argv[0], port, &bind_addr, &bind_len, &family)) {
    return throw_error(env, "EINVAL", "the address must be a literal IPv4 or IPv6 address");
  }
  napi_valuetype type;
  if (napi_typeof(env, argv[2], &type) != napi_ok || type != napi_object) {
    return throw_error(env, "EINVAL", "options must be an object");
  }
  int32_t slots, slot_bytes, rcvbuf, reuse, v6only, broadcast, timestamps;
  char device[IF_NAMESIZE];
  if (!get_int_property(env, argv[2], "slots", 64, &slots) || slots < 1 || slots > MAX_SLOTS) {
    return throw_error(env, "EINVAL", "options.slots must be an integer from 1 to 1024");
  }
  if (!get_int_property(env, argv[2], "slotBytes", 4096, &slot_bytes) || slot_bytes < MIN_SLOT_BYTES ||
      slot_bytes > MAX_SLOT_BYTES) {
    return throw_error(env, "EINVAL", "options.slotBytes must be an integer from 64 to 65536");
  }
  if (!get_int_property(env, argv[2], "receiveBufferBytes", 0, &rcvbuf) || rcvbuf < 0) {
    return throw_error(env, "EINVAL", "options.receiveBufferBytes must be a non-negative integer");
  }
  if (!get_int_property(env, argv[2], "reuseAddress", 0, &reuse) ||
      !get_int_property(env, argv[2], "ipv6Only", 1, &v6only)) {
    return throw_error(env, "EINVAL", "options.reuseAddress and options.ipv6Only must be booleans");
  }
  if (!get_int_property(env, argv[2], "broadcast", 0, &broadcast) ||
      !get_int_property(env, argv[2], "timestamps", 1, &timestamps)) {
    return throw_error(env, "EINVAL", "options.broadcast and options.timestamps must be booleans");
  }
  if (!get_string_property(env, argv[2], "device", device, sizeof device)) {
    return throw_error(env, "EINVAL", "options.device must be an interface name of 1 to 15 characters");
  }
  /* Check the device first, so the error names it instead of a bare ENODEV from setsockopt. */
  if (device[0] != '\0' && if_nametoindex(device) == 0) {
    char message[64];
    snprintf(message, sizeof message, "interface %s does not exist", device);
    return throw_error(env, "ENODEV", message);
  }
  if (napi_typeof(env, argv[3], &type) != napi_ok || type != napi_function) {
    return throw_error(env, "EINVAL", "onBatch must be a function");
  }

  uv_loop_t *loop = NULL;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == NULL) {
    return throw_error(env, "EINVAL", "no event loop for this environment");
  }

  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket() failed", errno);
  int one = 1;
  if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "setsockopt(SO_REUSEADDR) failed", err);
  }
  if (family == AF_INET6) {
    int flag = v6only ? 1 : 0;
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &flag, sizeof flag) < 0) {
      int err = errno;
      close(fd);
      return throw_errno(env, "setsockopt(IPV6_V6ONLY) failed", err);
    }
  }
  /* Needed to send to 255.255.255.255 (DHCP replies). */
  if (broadcast && setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "setsockopt(SO_BROADCAST) failed", err);
  }
  /* Receive from and send through this device only, whatever the routing table says: its
     broadcasts arrive here and nowhere else, and replies to 255.255.255.255 leave by it. Needs
     CAP_NET_RAW on kernels before 5.7. */
  if (device[0] != '\0' && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device, (socklen_t)strlen(device) + 1) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "setsockopt(SO_BINDTODEVICE) failed", err);
  }
  if (timestamps && setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "setsockopt(SO_TIMESTAMPNS) failed", err);
  }
  if (rcvbuf > 0) {
    /* Capped by net.core.rmem_max; not fatal if refused. */
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  }
  if (bind(fd, (struct sockaddr *)&bind_addr, bind_len) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "bind() failed", err);
  }
  struct sockaddr_storage bound;
  socklen_t bound_len = sizeof bound;
  if (getsockname(fd, (struct sockaddr *)&bound, &bound_len) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "getsockname() failed", err);
  }
  int bound_port = family == AF_INET ? ntohs(((struct sockaddr_in *)&bound)->sin_port)
                                     : ntohs(((struct sockaddr_in6 *)&bound)->sin6_port);

  edge_t *e = calloc(1, sizeof *e);
  if (!e) {
    close(fd);
    return throw_error(env, "ENOMEM", "out of memory");
  }
  e->env = env;
  e->fd = fd;
  e->family = family;
  e->slots = (uint32_t)slots;
  e->slot_bytes = (uint32_t)slot_bytes;
  e->timestamps = timestamps;
  e->ctrl_bytes = CMSG_SPACE(sizeof(struct timespec)) + CMSG_SPACE(64);
  e->rmsgs = calloc(slots, sizeof *e->rmsgs);
  e->riov = calloc(slots, sizeof *e->riov);
  e->rnames = calloc(slots, sizeof *e->rnames);
  e->rname_lens = calloc(slots, sizeof *e->rname_lens);
  e->rctrl = calloc(slots, e->ctrl_bytes);
  e->smsgs = calloc(slots, sizeof *e->smsgs);
  e->siov = calloc(slots, sizeof *e->siov);
  if (!e->rmsgs || !e->riov || !e->rnames || !e->rname_lens || !e->rctrl || !e->smsgs || !e->siov) {
    close(fd);
    free_edge(e);
    return throw_error(env, "ENOMEM", "out of memory");
  }

  napi_value result;
  if (napi_create_object(env, &result) != napi_ok) goto fail_napi;
  size_t payload = (size_t)slots * (size_t)slot_bytes;
  e->recv = make_buffer(env, e, BUF_RECV, payload, result, "recv");
  e->recv_meta = make_buffer(env, e, BUF_RECV_META, (size_t)slots * 4 * sizeof(int32_t), result, "recvMeta");
  e->recv_addr = make_buffer(env, e, BUF_RECV_ADDR, (size_t)slots * 16, result, "recvAddr");
  e->recv_time = make_buffer(env, e, BUF_RECV_TIME, ((size_t)slots * 2 + 4) * sizeof(double), result, "recvTime");
  e->send = make_buffer(env, e, BUF_SEND, payload, result, "send");
  e->send_meta = make_buffer(env, e, BUF_SEND_META, ((size_t)slots * 2 + 1) * sizeof(int32_t), result, "sendMeta");
  if (!e->recv || !e->recv_meta || !e->recv_addr || !e->recv_time || !e->send || !e->send_meta) goto fail_napi;

  for (int32_t i = 0; i < slots; i++) {
    e->riov[i].iov_base = e->recv + (size_t)i * slot_bytes;
    e->riov[i].iov_len = (size_t)slot_bytes;
    struct msghdr *h = &e->rmsgs[i].msg_hdr;
    h->msg_name = &e->rnames[i];
    h->msg_iov = &e->riov[i];
    h->msg_iovlen = 1;
    h->msg_control = e->rctrl + (size_t)i * e->ctrl_bytes;
  }

  if (napi_create_reference(env, argv[3], 1, &e->callback) != napi_ok) goto fail_napi;
  napi_value resource_name;
  if (napi_create_string_utf8(env, "siteboot.udp_batch", NAPI_AUTO_LENGTH, &resource_name) != napi_ok ||
      napi_async_init(env, NULL, resource_name, &e->async) != napi_ok) {
    goto fail_napi;
  }

  napi_value handle;
  if (napi_create_external(env, e, finalize_edge, NULL, &handle) != napi_ok) goto fail_napi;
  /* From here the finalizer owns `e`: failures below close through shut(). */
  napi_value port_value, family_value;
  napi_create_int32(env, bound_port, &port_value);
  napi_create_int32(env, family == AF_INET ? 4 : 6, &family_value);
  napi_set_named_property(env, result, "handle", handle);
  napi_set_named_property(env, result, "port", port_value);
  napi_set_named_property(env, result, "family", family_value);

  int rc = uv_poll_init(loop, &e->poll, fd);
  if (rc != 0) {
    /* The poll handle was never initialised: release everything without uv_close. */
    e->closing = 1;
    e->close_done = 1;
    close(fd);
    e->fd = -1;
    for (int i = 0; i < BUF_COUNT; i++) {
      if (e->buffers[i]) napi_delete_reference(env, e->buffers[i]);
      e->buffers[i] = NULL;
    }
    napi_delete_reference(env, e->callback);
    e->callback = NULL;
    napi_async_destroy(env, e->async);
    e->async = NULL;
    char message[128];
    snprintf(message, sizeof message, "uv_poll_init failed: %s", uv_strerror(rc));
    return throw_error(env, "EIO", message);
  }
  e->poll.data = e;
  napi_add_env_cleanup_hook(env, cleanup_hook, e);
  rc = uv_poll_start(&e->poll, UV_READABLE, on_readable);
  if (rc != 0) {
    shut(e, 1);
    char message[128];
    snprintf(message, sizeof message, "uv_poll_start failed: %s", uv_strerror(rc));
    return throw_error(env, "EIO", message);
  }
  return result;

fail_napi:
  /* Nothing owns `e` yet. */
  for (int i = 0; i < BUF_COUNT; i++) {
    if (e->buffers[i]) napi_delete_reference(env, e->buffers[i]);
  }
  if (e->callback) napi_delete_reference(env, e->callback);
  if (e->async) napi_async_destroy(env, e->async);
  close(fd);
  free_edge(e);
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) return NULL;
  return throw_error(env, "EIO", "could not set up the shared buffers");
}

static edge_t *get_edge(napi_env env, napi_value value) {
  void *data = NULL;
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_external) return NULL;
  if (napi_get_value_external(env, value, &data) != napi_ok) return NULL;
  return (edge_t *)data;
}

/* sendBatch(handle, count): sends replies 0..count-1 of the send arena; returns how many left. */
static napi_value send_batch(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2) {
    return throw_error(env, "EINVAL", "sendBatch(handle, count) takes two arguments");
  }
  edge_t *e = get_edge(env, argv[0]);
  if (!e) return throw_error(env, "EINVAL", "sendBatch: not a socket handle");
  if (e->closing) return throw_error(env, "ERR_SOCKET_CLOSED", "sendBatch: the socket is closed");
  int32_t count = 0;
  if (napi_get_value_int32(env, argv[1], &count) != napi_ok || count < 0 || (uint32_t)count > e->slots) {
    return throw_error(env, "EINVAL", "sendBatch: count must be an integer from 0 to the number of slots");
  }
  uint32_t m = 0;
  for (int32_t j = 0; j < count; j++) {
    int32_t length = e->send_meta[j * 2];
    int32_t index = e->send_meta[j * 2 + 1];
    /* Bad entries (JavaScript wrote nonsense or the batch is stale) are skipped, never read out of bounds. */
    if (length < 0 || (uint32_t)length > e->slot_bytes || index < 0 || (uint32_t)index >= e->last_count) continue;
    if (e->rnames[index].ss_family != AF_INET && e->rnames[index].ss_family != AF_INET6) continue;
    e->siov[m].iov_base = e->send + (size_t)j * e->slot_bytes;
    e->siov[m].iov_len = (size_t)length;
    struct msghdr *h = &e->smsgs[m].msg_hdr;
    memset(h, 0, sizeof *h);
    h->msg_name = &e->rnames[index];
    h->msg_namelen = e->rname_lens[index];
    h->msg_iov = &e->siov[m];
    h->msg_iovlen = 1;
    m++;
  }
  uint32_t done = 0, sent = 0;
  int last_error = 0;
  while (done < m) {
    int r = sendmmsg(e->fd, e->smsgs + done, m - done, MSG_DONTWAIT);
    if (r < 0) {
      if (errno == EINTR) continue;
      last_error = errno;
      /* The socket buffer is full: the rest is dropped, as a full queue drops. */
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) break;
      /* This one datagram was refused (e.g. EMSGSIZE, EPERM): skip it and go on. */
      done++;
      continue;
    }
    done += (uint32_t)r;
    sent += (uint32_t)r;
  }
  e->send_meta[e->slots * 2] = last_error;
  realtime(&e->recv_time[e->slots * 2 + 2]);
  napi_value result;
  napi_create_uint32(env, sent, &result);
  return result;
}

/* sendTo(handle, bytes, address, port): one datagram, for replies completed outside a batch. */
static napi_value send_to(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 4) {
    return throw_error(env, "EINVAL", "sendTo(handle, bytes, address, port) takes four arguments");
  }
  edge_t *e = get_edge(env, argv[0]);
  if (!e) return throw_error(env, "EINVAL", "sendTo: not a socket handle");
  if (e->closing) return throw_error(env, "ERR_SOCKET_CLOSED", "sendTo: the socket is closed");
  bool is_typed = false;
  if (napi_is_typedarray(env, argv[1], &is_typed) != napi_ok || !is_typed) {
    return throw_error(env, "EINVAL", "sendTo: bytes must be a Uint8Array");
  }
  napi_typedarray_type ta_type;
  size_t length = 0, byte_offset = 0;
  void *data = NULL;
  napi_value ab;
  if (napi_get_typedarray_info(env, argv[1], &ta_type, &length, &data, &ab, &byte_offset) != napi_ok ||
      ta_type != napi_uint8_array) {
    return throw_error(env, "EINVAL", "sendTo: bytes must be a Uint8Array");
  }
  if (length > 65507) return throw_error(env, "EMSGSIZE", "sendTo: a UDP datagram holds at most 65507 bytes");
  int32_t port = -1;
  if (napi_get_value_int32(env, argv[3], &port) != napi_ok || port < 1 || port > 65535) {
    return throw_error(env, "EINVAL", "sendTo: the port must be an integer from 1 to 65535");
  }
  struct sockaddr_storage to;
  socklen_t to_len = 0;
  int family = 0;
  if (!parse_address(env, argv[2], port, &to, &to_len, &family)) {
    return throw_error(env, "EINVAL", "sendTo: the address must be a literal IPv4 or IPv6 address");
  }
  int err = send_datagram(e->fd, length ? data : "", length, (struct sockaddr *)&to, to_len);
  napi_value result;
  if (err != 0) {
    if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS) {
      napi_get_boolean(env, false, &result);
      return result;
    }
    return throw_errno(env, "sendto() failed", err);
  }
  napi_get_boolean(env, true, &result);
  return result;
}

static napi_value close_socket(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1) {
    return throw_error(env, "EINVAL", "close(handle) takes one argument");
  }
  edge_t *e = get_edge(env, argv[0]);
  if (!e) return throw_error(env, "EINVAL", "close: not a socket handle");
  shut(e, 1);
  return NULL;
}

/* The current CLOCK_REALTIME as [sec, nsec] written into a Float64Array of length ≥ 2. */
static napi_value realtime_into(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1) {
    return throw_error(env, "EINVAL", "realtime(out) takes one argument");
  }
  bool is_typed = false;
  napi_typedarray_type ta_type;
  size_t length = 0, byte_offset = 0;
  void *data = NULL;
  napi_value ab;
  if (napi_is_typedarray(env, argv[0], &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, argv[0], &ta_type, &length, &data, &ab, &byte_offset) != napi_ok ||
      ta_type != napi_float64_array || length < 2) {
    return throw_error(env, "EINVAL", "realtime(out): out must be a Float64Array of length 2 or more");
  }
  realtime((double *)data);
  return NULL;
}

/* pump(handle, bytes, blockSize, windowSize, acked, address, port, progress): from now on the socket
   answers the in-order ACKs of `address`:`port` itself (tftp_pump.h), sending blocks of `bytes`.
   `progress` is a Float64Array of 2 it keeps current. */
static napi_value start_pump(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 8) {
    return throw_error(env, "EINVAL",
                       "pump(handle, bytes, blockSize, windowSize, acked, address, port, progress) takes eight arguments");
  }
  edge_t *e = get_edge(env, argv[0]);
  if (!e) return throw_error(env, "EINVAL", "pump: not a socket handle");
  if (e->closing) return throw_error(env, "ERR_SOCKET_CLOSED", "pump: the socket is closed");
  bool is_typed = false;
  napi_typedarray_type ta_type;
  size_t length = 0, byte_offset = 0, progress_length = 0;
  void *data = NULL, *progress = NULL;
  napi_value ab;
  if (napi_is_typedarray(env, argv[1], &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, argv[1], &ta_type, &length, &data, &ab, &byte_offset) != napi_ok ||
      ta_type != napi_uint8_array) {
    return throw_error(env, "EINVAL", "pump: bytes must be a Uint8Array");
  }
  if (napi_is_typedarray(env, argv[7], &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, argv[7], &ta_type, &progress_length, &progress, &ab, &byte_offset) != napi_ok ||
      ta_type != napi_float64_array || progress_length < 2) {
    return throw_error(env, "EINVAL", "pump: progress must be a Float64Array of length 2 or more");
  }
  int32_t block_size = 0, window = 0, acked = 0, port = 0;
  if (napi_get_value_int32(env, argv[2], &block_size) != napi_ok || block_size < 8 || block_size > 65464 ||
      napi_get_value_int32(env, argv[3], &window) != napi_ok || window < 1 || window > 65535 ||
      napi_get_value_int32(env, argv[4], &acked) != napi_ok || acked < -1 ||
      napi_get_value_int32(env, argv[6], &port) != napi_ok || port < 1 || port > 65535) {
    return throw_error(env, "EINVAL", "pump: blockSize 8-65464, windowSize 1-65535, acked >= -1, port 1-65535");
  }
  tftp_pump_t next = {0};
  int family = 0;
  if (!parse_address(env, argv[5], port, &next.peer, &next.peer_len, &family) || family != e->family) {
    return throw_error(env, "EINVAL", "pump: the address must be a literal address of the socket's family");
  }
  next.bytes = data;
  next.size = length;
  next.block_size = (uint32_t)block_size;
  next.window = (uint32_t)window;
  next.blocks = (int64_t)(length / (size_t)block_size) + 1;
  next.acked = acked;
  if (acked > next.blocks) return throw_error(env, "EINVAL", "pump: acked is past the last block");
  next.progress = progress;
  stop_pump(e, 1);
  if (napi_create_reference(env, argv[1], 1, &e->pump_refs[0]) != napi_ok ||
      napi_create_reference(env, argv[7], 1, &e->pump_refs[1]) != napi_ok) {
    stop_pump(e, 1);
    return throw_error(env, "EIO", "pump: could not hold the bytes");
  }
  next.progress[0] = (double)acked;
  next.active = 1;
  e->pump = next;
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"open", NULL, open_socket, NULL, NULL, NULL, napi_default, NULL},
      {"sendBatch", NULL, send_batch, NULL, NULL, NULL, napi_default, NULL},
      {"sendTo", NULL, send_to, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, close_socket, NULL, NULL, NULL, napi_default, NULL},
      {"realtime", NULL, realtime_into, NULL, NULL, NULL, napi_default, NULL},
      {"pump", NULL, start_pump, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
