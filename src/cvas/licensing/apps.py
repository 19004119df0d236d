from django.apps import AppConfig


class LicensingConfig(AppConfig):
    name = "cvas.licensing"
    label = "licensing"
