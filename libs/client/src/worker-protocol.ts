import type { PublisherConfig } from './options.js';

/** The publisher's options as the worker gets them: everything but the logger (functions do not cross threads). */
export type WorkerConfig = Omit<PublisherConfig, 'logger'>;

export interface WorkerInit {
  config: WorkerConfig;
}

/** An error as it crosses from the worker: its message already scrubbed of secrets. */
export interface PlainError {
  name: string;
  code?: string | undefined;
  message: string;
  retriable: boolean;
}

export type ToWorker = { type: 'send'; id: number; events: readonly string[] } | { type: 'close' };

export type FromWorker =
  | { type: 'result'; id: number; sent: number; invalid: number[]; problem?: string | undefined; error?: PlainError | undefined }
  | { type: 'log'; line: string }
  | { type: 'closed' };
