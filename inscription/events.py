"""Signals the inscription services send themselves, where Django's model signals do not fire.

``bulk_create`` and queryset ``update`` send no ``post_save``; a job writes its lines that way.
Apps above this one (search) connect here to keep derived data current, so the services do not
import them (dependencies point one way).
"""
from django.dispatch import Signal

# Sent inside the writing transaction with ``inscriptions=[Inscription, ...]`` (new versions, saved).
inscriptions_written = Signal()
