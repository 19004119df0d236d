from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "cvas.accounts"
    label = "accounts"
