"""PrestaShop webhooks: the receiver that stores signed events in the inbox (``receiver``), and its
door for the unsigned payloads of the ps_webhooks module (``ps_webhooks``)."""

from prestashop_infor.webhooks.receiver import create_app, sign, verify

__all__ = ["create_app", "sign", "verify"]
