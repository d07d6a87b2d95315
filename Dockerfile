# For teams hosting the planner themselves: docker build -t curation . && docker run -p 8501:8501 curation
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
# DATABASE_URL (PostgreSQL for teams) and /app/.streamlit/secrets.toml (sign-in) come from the host.
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s CMD curl -fsS http://127.0.0.1:8501/_stcore/health || exit 1
CMD ["sh", "-c", "python -m curation init-db --seed-demo-if-empty && streamlit run app.py --server.address 0.0.0.0 --server.port 8501"]
