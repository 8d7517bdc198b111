{
  "targets": [
    {
      "target_name": "udp_batch",
      "sources": ["native/udp_batch.c", "native/tftp_pump.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    },
    {
      "target_name": "sd_notify",
      "sources": ["native/sd_notify.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
