# Production image: gunicorn serves Django; the same image runs the Celery worker and beat.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update && apt-get install -y --no-install-recommends gettext && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# collectstatic needs settings that import; throwaway values are enough at build time.
RUN SECRET_KEY=build-only-not-secret-000000000000000000 HWMS_AUDIT_KEY=build-only-not-secret-000000000000000000 \
    SITE_URL=https://build.invalid EMAIL_BACKEND=django.core.mail.backends.dummy.EmailBackend \
    python manage.py collectstatic --noinput
RUN useradd --system --home /app hwms && chown -R hwms /app
USER hwms
EXPOSE 8000
CMD ["gunicorn", "hwms.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", "--access-logfile", "-"]
