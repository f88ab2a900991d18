"""Keeps the authentication cache (accounts/authentication.py) in step with what it holds."""

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from rest_framework.authtoken.models import Token

from accounts.authentication import tokens_forget
from insurees.models import Person


@receiver(post_delete, sender=Token)
def token_deleted(sender, instance: Token, **kwargs) -> None:
    tokens_forget(keys=[instance.key])


@receiver([post_save, post_delete], sender=settings.AUTH_USER_MODEL)
def user_changed(sender, instance, **kwargs) -> None:
    tokens_forget(user_id=instance.pk)


@receiver([post_save, post_delete], sender=Person)
def person_changed(sender, instance: Person, **kwargs) -> None:
    # A person moved to another user leaves the former user's entry to expire: people are linked to a
    # user once, at registration, and never moved.
    tokens_forget(user_id=instance.user_id)
