# The gateway image: Node 20, dependencies from the lock file, TypeScript run by tsx.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --include=dev --no-audit --no-fund
COPY . .
EXPOSE 4000
ENV HOST=0.0.0.0 PORT=4000
# --max-semi-space-size: see SERVER_NODE_FLAGS in src/cli/bootstrap.mjs.
CMD ["node", "--max-semi-space-size=64", "--import", "tsx", "src/main.ts"]
