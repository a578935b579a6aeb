# syntax=docker/dockerfile:1
# vigil's services in one image: `vigil detector` (default) or `vigil notifier`.
#   docker build -t vigil .
#   docker run --rm -e KAFKA_BROKERS=… -e REDIS_URL=… vigil            # detector, metrics on :9464
#   docker run --rm -e HTTP_PORT=9465 -e NOTIFIER_API_TOKEN=… vigil notifier
# Linted by hadolint in test/integration/observability-deploy.test.ts.

ARG NODE_IMAGE=node:20.19-bookworm-slim

# ---- build: install everything, compile, then drop the dev dependencies
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.base.json tsconfig.build.json ./
COPY libs ./libs
COPY services ./services
COPY schemas ./schemas
COPY bench/package.json ./bench/
COPY examples/package.json ./examples/
# 'npm ci': exactly the locked versions (the lock holds every platform's optional binaries).
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npx tsc -b services/cli \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund
# Keep what runs: manifests, compiled code, Lua scripts, the console's files, contracts, the
# dependencies (hoisted, and those npm keeps beside a workspace); no sources, no tests.
RUN mkdir -p /out \
 && cp -a package.json node_modules schemas /out/ \
 && find libs services -mindepth 2 -maxdepth 2 \( -name package.json -o -name dist -o -name lua -o -name console -o -name node_modules \) -exec cp -a --parents {} /out/ \; \
 && find /out/libs /out/services -name '*.test.*' -delete \
 && find /out/libs /out/services \( -name '*.map' -o -name '*.d.ts' \) -delete

# ---- runtime: Node and the compiled services only, as the unprivileged `node` user
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HTTP_HOST=0.0.0.0 \
    NOTIFIER_API_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /out ./
COPY deploy/docker/healthcheck.mjs ./healthcheck.mjs
# The node images' `node` user, by number so the runtime can check it is not root.
USER 1000:1000
EXPOSE 9464 9465 9470
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["node", "/app/healthcheck.mjs"]
ENTRYPOINT ["node", "services/cli/dist/main.js"]
CMD ["detector"]
