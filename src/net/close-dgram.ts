import type { Socket } from "node:dgram";

/** Closes a dgram socket once; resolves even when it was already closed. */
export function closeDgram(socket: Socket): Promise<void> {
  return new Promise((done) => {
    try {
      socket.close(() => done());
    } catch {
      done();
    }
  });
}
