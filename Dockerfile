# Build a wheel (with its migrations bundled), then install it in a slim image as a non-root user.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
COPY migrations ./migrations
RUN pip wheel --no-cache-dir --wheel-dir /wheels '.[postgres]'

FROM python:3.11-slim
RUN useradd --system --uid 10001 --create-home --home-dir /var/lib/ciam ciam
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links=/wheels 'ciam-oidc[postgres]' \
    && rm -rf /wheels
USER ciam
WORKDIR /var/lib/ciam
ENV CIAM_DATA_DIR=/var/lib/ciam/var \
    PYTHONUNBUFFERED=1
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
# Run `docker run … ciam-oidc migrate` once before rolling out a new version.
ENTRYPOINT ["ciam-oidc"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
