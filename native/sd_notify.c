/*
 * sd_notify without libsystemd: one datagram to the AF_UNIX socket named by $NOTIFY_SOCKET.
 * Node's dgram module has no AF_UNIX datagram sockets, and the libsystemd bindings need
 * libsystemd-dev to build, so this is the whole protocol in a few lines.
 */
#include <errno.h>
#include <stdio.h>
#include <node_api.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static napi_value throw_errno(napi_env env, const char *what) {
  char message[160];
  snprintf(message, sizeof message, "%s: %s", what, strerror(errno));
  napi_throw_error(env, NULL, message);
  return NULL;
}

/* notify(socketPath: string, message: string): number of bytes sent */
static napi_value notify(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2) {
    napi_throw_type_error(env, NULL, "notify(socketPath, message) takes two strings");
    return NULL;
  }
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  size_t path_len = 0;
  if (napi_get_value_string_utf8(env, argv[0], addr.sun_path, sizeof addr.sun_path, &path_len) != napi_ok ||
      path_len == 0 || path_len >= sizeof addr.sun_path - 1) {
    napi_throw_type_error(env, NULL, "socketPath must be a non-empty string shorter than 107 bytes");
    return NULL;
  }
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0'; /* abstract namespace */
  char message[4096];
  size_t message_len = 0;
  if (napi_get_value_string_utf8(env, argv[1], message, sizeof message, &message_len) != napi_ok) {
    napi_throw_type_error(env, NULL, "message must be a string");
    return NULL;
  }
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket");
  socklen_t addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + path_len);
  ssize_t sent = sendto(fd, message, message_len, MSG_NOSIGNAL, (struct sockaddr *)&addr, addr_len);
  int saved = errno;
  close(fd);
  if (sent < 0) {
    errno = saved;
    return throw_errno(env, "sendto NOTIFY_SOCKET");
  }
  napi_value result;
  napi_create_int64(env, (int64_t)sent, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "notify", NAPI_AUTO_LENGTH, notify, NULL, &fn);
  napi_set_named_property(env, exports, "notify", fn);
  return exports;
}
