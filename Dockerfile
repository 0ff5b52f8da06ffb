# syntax=docker/dockerfile:1
# The sidecar-injector image: built with the full toolchain, run on a distroless Node 24 base
# with production dependencies only, as a non-root user, with no shell or package manager.
#
#   docker build -t ghcr.io/sidecar-injector/sidecar-injector:0.1.0 .

FROM node:24-bookworm-slim AS build
WORKDIR /app
# Dependencies first, so that a source change does not re-download them.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# The build compiles with tsc and bundles client-node into dist/vendor with its licences (esbuild;
# both are dev dependencies, so the prune leaves only the server's own runtime packages).
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM gcr.io/distroless/nodejs24-debian12:nonroot
LABEL org.opencontainers.image.title="sidecar-injector" \
      org.opencontainers.image.description="A Kubernetes mutating admission webhook that injects sidecars from SidecarTemplates." \
      org.opencontainers.image.licenses="Apache-2.0"
WORKDIR /app
ENV NODE_ENV=production
# package.json marks the package root (version, the embedded example templates' location).
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/deploy/templates ./deploy/templates
# The distroless "nonroot" user; numeric so that runAsNonRoot can verify it.
USER 65532:65532
EXPOSE 8443 9090
# The same entry point the tests use: node dist/src/cli/main.js <command>.
ENTRYPOINT ["/nodejs/bin/node", "dist/src/cli/main.js"]
CMD ["serve"]
