# syntax=docker/dockerfile:1
# The gateway image. Stages:
#   deps         every dependency from the lock file (build tools included)
#   development  the demo docker-compose.yml runs: TypeScript through tsx, GraphiQL and the development token
#   build        the production bundle (npm run build -> dist/main.js)
#   runtime      (default) production: compiled JavaScript, production dependencies only, non-root
# The runtime stage reads at run time what the bundle does not hold: schema/ (the SDL), drizzle/migrations
# (applied at start), operations/persisted-documents.json (the trusted documents) and package.json (the
# project root marker, src/paths.ts).

FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM deps AS development
COPY . .
ENV NODE_ENV=development HOST=0.0.0.0 PORT=4000
EXPOSE 4000
USER node
# --max-semi-space-size: see SERVER_NODE_FLAGS in src/cli/bootstrap.mjs.
CMD ["node", "--max-semi-space-size=64", "--import", "tsx", "src/main.ts"]

FROM deps AS build
COPY . .
RUN npm run build

FROM node:24-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY schema ./schema
COPY drizzle/migrations ./drizzle/migrations
COPY operations/persisted-documents.json ./operations/persisted-documents.json
USER node
EXPOSE 4000
# /healthz answers while the process serves; /readyz (MySQL reachable) is for the orchestrator's readiness.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--max-semi-space-size=64", "dist/main.js"]
