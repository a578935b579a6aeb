import { dlqHeaders } from '@vigil/contracts';
import type { DecodeError } from '@vigil/errors';
import type { OutgoingMessage, ReceivedMessage } from '@vigil/kafka';

/**
 * The dead letter of a message that did not decode: its key, its original
 * bytes, and why (headers). A message larger than the dead-letter topic
 * takes (`maxValueBytes`; an input topic may allow more than the broker's
 * default) goes without its body, with its size in `vigil-original-bytes`
 * and its coordinates in `vigil-source`: otherwise the dead-letter write
 * would fail forever and stall the partition.
 */
export function deadLetterOf(message: ReceivedMessage, err: DecodeError, maxValueBytes: number): OutgoingMessage {
  const size = message.value?.length ?? 0;
  const fits = size <= maxValueBytes;
  return {
    key: message.key,
    value: fits ? message.value : null,
    headers: {
      ...message.headers,
      [dlqHeaders.error]: err.code,
      [dlqHeaders.detail]: err.message.slice(0, 1000),
      'vigil-source': `${message.topic}/${message.partition}/${message.offset}`,
      ...(fits ? {} : { 'vigil-original-bytes': String(size) }),
    },
  };
}
