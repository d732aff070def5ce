"""PrestaShop webhooks: the receiver that stores signed events in the inbox (``receiver``)."""

from prestashop_infor.webhooks.receiver import create_app, sign, verify

__all__ = ["create_app", "sign", "verify"]
