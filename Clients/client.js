// pipelab's Node client: net.Socket.write with Node's own SIGPIPE handling (ignored at start-up).
// Writes are buffered and their outcome arrives later, in the write's callback and as an 'error'
// event; each is reported as one JSON line on stdout. The environment it reads is described in
// Clients/README.md.
'use strict';
const net = require('net');

const env = process.env;
const sends = Number(env.PIPELAB_SENDS || 3);
const payload = Buffer.alloc(Number(env.PIPELAB_PAYLOAD_BYTES || 5));
const sleepMs = Number(env.PIPELAB_SLEEP_NS || 0) / 1e6;
const intervalMs = Number(env.PIPELAB_INTERVAL_NS || 0) / 1e6;
const report = (line) => process.stdout.write(JSON.stringify(line) + '\n');
const describe = (error) => ({ error: error.constructor.name, code: error.code, errno: error.errno, message: error.message });
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const socket = net.connect({ host: env.PIPELAB_HOST, port: Number(env.PIPELAB_PORT) });
socket.on('error', (error) => report({ event: 'error', ...describe(error) }));
socket.on('connect', async () => {
  const outcomes = [];
  for (let n = 1; n <= sends; n++) {
    if (n === 2) await pause(sleepMs);
    else if (n > 2 && intervalMs > 0) await pause(intervalMs);
    outcomes.push(new Promise((resolve) => {
      socket.write(payload, (error) => {
        report(error ? { send: n, ok: false, ...describe(error) } : { send: n, ok: true, bytes: payload.length });
        resolve();
      });
    }));
  }
  await Promise.all(outcomes);
  socket.destroy();
  report({ end: 'returned' });
});
