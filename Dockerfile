# For teams hosting the planner themselves (README, "Deploying"):
#   docker build -t curation .
#   docker run -p 8501:8501 -e DATABASE_URL=postgresql://user:pw@db/curation -e ADMIN_EMAILS=you@company.com \
#     -v "$PWD/secrets.toml:/app/.streamlit/secrets.toml:ro" curation
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install -r requirements.txt
# .dockerignore keeps .venv, data/, the model cache and any secrets.toml out of the image.
COPY . .
# The app runs as an unprivileged user that may write only its data and model cache.
RUN useradd --create-home --uid 10001 app && mkdir -p data models && chown -R app data models
USER app
# DATABASE_URL (PostgreSQL for teams) and /app/.streamlit/secrets.toml (sign-in, mounted read-only) come from
# the host. Without DATABASE_URL the SQLite file lives in this volume: gone with the volume, so use PostgreSQL.
VOLUME ["/app/data"]
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s CMD curl -fsS http://127.0.0.1:8501/_stcore/health || exit 1
# init-db migrates (and seeds the demo into an empty database); replicas starting together take turns.
CMD ["sh", "-c", "python -m curation init-db --seed-demo-if-empty && streamlit run app.py --server.address 0.0.0.0 --server.port 8501"]
