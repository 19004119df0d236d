from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "cvas.public"
    label = "public"
