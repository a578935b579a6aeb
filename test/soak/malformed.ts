import type { ApiTransaction } from '@vigil/contracts';
import type { OutgoingMessage } from '@vigil/kafka';

/** The i-th malformed message, of six kinds in turn, made from a real event (the detector dead-letters each one). */
export function malformed(i: number, e: ApiTransaction): OutgoingMessage {
  const key = e.principal ?? e.clientIp ?? e.api;
  switch (i % 6) {
    case 0:
      return { key, value: '{"id":"broken-' + i + '","timestamp":' };
    case 1: {
      const { status: _status, ...rest } = e;
      return { key, value: JSON.stringify({ ...rest, timestamp: new Date(e.timestamp).toISOString() }) };
    }
    case 2:
      return { key, value: JSON.stringify({ ...e, direction: 'sideways', timestamp: new Date(e.timestamp).toISOString() }) };
    case 3:
      return { key, value: null };
    case 4:
      return { key, value: Buffer.from([0, 0, 0, 0, 1, 2, 3]) }; // Confluent frame, too short to be an event
    default:
      return { key, value: 'GET /users/1 HTTP/1.1' };
  }
}
