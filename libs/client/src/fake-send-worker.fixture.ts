/**
 * A stand-in for send-worker.ts in unit tests (no Kafka): speaks the same
 * protocol, acknowledges each batch after `holdMs`, and reports events whose
 * id starts with `bad-` as not encodable.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { FromWorker, ToWorker } from './worker-protocol.js';

const port = parentPort!;
const holdMs = Number((workerData as { init: { config: { clientId: string } } }).init.config.clientId.split(':')[1] ?? 0);
const post = (m: FromWorker) => port.postMessage(m);

port.on('message', (m: ToWorker) => {
  if (m.type === 'close') return post({ type: 'closed' });
  const invalid = m.events.flatMap((json, i) => ((JSON.parse(json) as { id: string }).id.startsWith('bad-') ? [i] : []));
  post({ type: 'log', line: JSON.stringify({ level: 'warn', time: 1, service: 'vigil-client', msg: 'fake worker got a batch', size: m.events.length, password: 'hunter2' }) });
  setTimeout(() => post({ type: 'result', id: m.id, sent: m.events.length - invalid.length, invalid, problem: invalid.length ? 'not encodable' : undefined }), holdMs);
});
