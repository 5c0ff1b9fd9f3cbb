# syntax=docker/dockerfile:1
# One image for every Opsgraph process; the command picks the process:
#   docker run opsgraph services/work/src/main.ts   |   docker run opsgraph gateway/src/main.ts
# The processes run their TypeScript through tsx (a production dependency, as with `npm run up`), so nothing is
# compiled: the final stage (`runtime`) holds the sources and the production dependencies only. The `tools`
# stage adds the dev dependencies for scripts/token.ts and scripts/demo.ts (the demo people live in libs/testing).
# The Node version is the one the tests run on; infra/test/compose.test.ts checks it is pinned and new enough.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
ENV COREPACK_INTEGRITY_KEYS=0
RUN npm install --global pnpm@10.34.8 && npm cache clean --force
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY patches/ patches/
COPY libs/core/package.json libs/core/
COPY libs/events/package.json libs/events/
COPY libs/testing/package.json libs/testing/
COPY gateway/package.json gateway/
COPY services/work/package.json services/work/
COPY services/permits/package.json services/permits/
COPY services/competence/package.json services/competence/
COPY services/documents/package.json services/documents/
COPY services/hazards/package.json services/hazards/
COPY services/change/package.json services/change/
COPY services/compliance/package.json services/compliance/

FROM manifests AS production-dependencies
RUN pnpm install --frozen-lockfile --prod

FROM manifests AS all-dependencies
RUN pnpm install --frozen-lockfile --prod=false

FROM ${NODE_IMAGE} AS tools
WORKDIR /app
ENV NODE_ENV=production
COPY --from=all-dependencies /app ./
COPY . .
USER node
ENTRYPOINT ["node", "--import", "tsx"]
CMD ["scripts/token.ts", "supervisor"]

# Last, so a plain `docker build .` gives it.
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production
COPY --from=production-dependencies /app ./
COPY . .
# The image's unprivileged user: the processes write nothing under /app (tsx caches in /tmp).
USER node
EXPOSE 4000 4001 4002 4003 4004 4005 4006 4007
ENTRYPOINT ["node", "--import", "tsx"]
CMD ["gateway/src/main.ts"]
