from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    """Standard formats in and out (IIIF, ALTO, PAGE, W3C JSON-LD, text, collection zip): the top of the data apps."""

    name = "exchange"
    verbose_name = "Imports and exports"
    default_auto_field = "django.db.models.BigAutoField"
