#!/usr/bin/env node
// Entry point for containers: node services/detector/dist/start.js
import { runDetectorMain } from './main.js';

runDetectorMain().catch((err: unknown) => {
  const e = err as { code?: string; message?: string };
  process.stderr.write(`vigil detector: ${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}\n`);
  process.exit(1);
});
