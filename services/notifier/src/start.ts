#!/usr/bin/env node
// Entry point for containers: node services/notifier/dist/start.js
import { runNotifierMain } from './main.js';

runNotifierMain().catch((err: unknown) => {
  const e = err as { code?: string; message?: string };
  process.stderr.write(`vigil notifier: ${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}\n`);
  process.exit(1);
});
