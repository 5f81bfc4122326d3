"""The Celery tasks (thin shells around services) and the training code.

The Celery app itself is `descent/celery.py`.
"""
