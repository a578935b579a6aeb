// The image's HEALTHCHECK: GET /healthz on the service's HTTP port (HTTP_PORT,
// else the detector's 9464, then the notifier's 9465). Exit 0 when one answers 200.
const ports = process.env.HTTP_PORT ? [process.env.HTTP_PORT] : ['9464', '9465'];
for (const port of ports) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(3000) });
    if (res.ok) process.exit(0);
  } catch {
    // not this port: try the next one
  }
}
process.exit(1);
