"""``prestashop-infor webhooks serve``: the receiver of the shop's signed webhooks, which commits each
event to the store's inbox before it answers."""

from __future__ import annotations

import argparse
from typing import Any

from prestashop_infor.cli.arguments import _port, _positive, add_source_argument
from prestashop_infor.cli.configuration import ConfigurationError, _open_store, _settings_now
from prestashop_infor.settings import SettingsError
from prestashop_infor.store.store import shown_url


def cmd_webhooks_serve(args: argparse.Namespace) -> int:
    """Serve the receiver until Ctrl-C or SIGTERM: events verified with ``WEBHOOK_SECRET`` (and, with
    ``PS_WEBHOOKS_TOKEN``, the ps_webhooks door) committed to the store's inbox before the answer."""
    import gc

    import uvicorn

    from prestashop_infor.webhooks import create_app

    settings = _settings_now(args.source)
    try:
        secrets = settings.webhook_secrets()
        door_tokens = settings.ps_webhooks_tokens()
    except SettingsError as exc:
        raise ConfigurationError(str(exc)) from None
    store = _open_store(create=True, source=args.source)
    shops = [settings.prestashop_url] if settings.prestashop_url else []
    app = create_app(store, secrets, shop_urls=shops, ps_webhooks_tokens=door_tokens)
    if args.source:
        print(f"Installation:     {args.source} (PRESTASHOP_INFOR_SOURCES)", flush=True)
    print(f"Webhook receiver: http://{args.host}:{args.port}/webhooks/prestashop", flush=True)
    if door_tokens:  # the token is the door's only secret: never printed
        print(
            f"ps_webhooks:      http://{args.host}:{args.port}/webhooks/ps_webhooks/<PS_WEBHOOKS_TOKEN>",
            flush=True,
        )
    print(f"Inbox:            {shown_url(settings.store_url())}", flush=True)
    # The imports and the store's start-up leave about 150,000 long-lived objects that the cyclic
    # garbage collector would scan on every full collection: ~45 ms with the event loop stopped, which
    # was the receiver's p99. Frozen, they are never scanned again; what requests allocate still is.
    gc.collect()
    gc.freeze()
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning", timeout_keep_alive=5,
                    limit_concurrency=args.max_connections, access_log=False)  # fmt: skip
    finally:
        store.dispose()
    return 0


def _add_webhooks_commands(commands: Any) -> None:
    webhooks = commands.add_parser("webhooks", help="the webhook receiver")
    actions = webhooks.add_subparsers(dest="webhooks_command", required=True)
    serve = actions.add_parser(
        "serve",
        help="receive signed PrestaShop webhooks into the inbox (WEBHOOK_SECRET, PRESTASHOP_INFOR_DATABASE_URL)",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind")
    serve.add_argument("--port", type=_port, default=8090, help="port to bind")
    serve.add_argument(
        "--max-connections", type=_positive, default=200, help="connections at once; more get 503 at once"
    )
    add_source_argument(serve)
    serve.set_defaults(handler=cmd_webhooks_serve)
