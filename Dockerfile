# One image for every Opsgraph process; the command picks the service:
#   docker run opsgraph services/work/src/main.ts   |   docker run opsgraph gateway/src/main.ts
FROM node:20-bookworm-slim
WORKDIR /app
ENV COREPACK_INTEGRITY_KEYS=0 NODE_ENV=production
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
RUN npx -y pnpm@10.34.8 install --frozen-lockfile
COPY . .
USER node
ENTRYPOINT ["node", "--import", "tsx"]
CMD ["gateway/src/main.ts"]
