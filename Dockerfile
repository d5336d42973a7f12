# The service's image: `docker build -t concert-ticket .`, or `docker compose up` for the whole stack.
# One image for every command: `migrate`, `seed`, `serve-all` (the default), `serve-http`, `serve-worker`.
ARG DOTNET_VERSION=10.0

FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
WORKDIR /src
# The project files alone first, so that a code change reuses the restored packages' layer.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/ConcertTicket/ConcertTicket.csproj src/ConcertTicket/
RUN dotnet restore src/ConcertTicket/ConcertTicket.csproj
COPY src/ src/
# The project copies db/migrations and db/seed next to the dll: migrate and seed read them there.
COPY db/ db/
# The Release build the tests and scripts/run.sh use, with the same analyzers and warnings-as-errors.
RUN dotnet publish src/ConcertTicket/ConcertTicket.csproj -c Release --no-restore -o /app

FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION}
# The runtime image has no HTTP client; curl is for the HEALTHCHECK alone.
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app ./
# The service listens on localhost:8080 unless told otherwise, which a container cannot be reached on. URLS
# replaces the image's HTTP_PORTS, emptied so that Kestrel does not warn about the override.
ENV ASPNETCORE_URLS=http://+:8080 \
    ASPNETCORE_HTTP_PORTS=
EXPOSE 8080
# The non-root user every .NET image ships (uid 1654).
USER $APP_UID
# /health is the liveness probe: it checks no dependency, so an outage of PostgreSQL or Redis does not get the
# container restarted. serve-worker has no HTTP endpoint: run it with the health check disabled.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD curl --fail --silent --show-error --output /dev/null http://127.0.0.1:8080/health || exit 1
ENTRYPOINT ["dotnet", "concert-ticket.dll"]
CMD ["serve-all"]
