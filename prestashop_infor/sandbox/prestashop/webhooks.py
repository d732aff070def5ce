"""The sandbox shop's webhook sender (contract webhooks.md): every event the shop records (order
created, status changed, customer, address, product, combination, stock) is delivered to each
subscriber as one signed POST, at least once.

Each attempt is signed afresh (``X-PS-Webhook-Signature: t=…,v1=…``, HMAC-SHA256 over
``"{t}." + body``), waits 3 seconds at most, and counts as delivered on any 2xx. A 408, 429 or 5xx,
a timeout or a connection error is retried on the contract's schedule (5 s, 5 min, 30 min, 2 h, 5 h,
10 h, 10 h; ``retry_delays`` shortens it for tests); any other 4xx is a permanent failure, kept in
``dead``. On demand (``faults``) it sends duplicates, delays some events so they arrive out of order,
and signs some with a wrong secret; a slow or absent receiver is simply retried. ``configure``
changes the faults and the schedule of a running sender (``POST /_sandbox/webhooks/faults``). In a
multistore the envelope's ``shop`` names the shop of the event's record (``id_shop``,
``id_shop_group``); its ``url`` is the Webservice's, which all the shops share.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import json
import random
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

RETRY_DELAYS = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)  # contract §7.1
TIMEOUT = 3.0  # seconds for connect plus response (contract §2)
#: Deliveries at once: a shop sends each webhook from the PHP worker that made the change, so a busy
#: shop's webhooks arrive concurrently (and in no guaranteed order, contract §7.2), not one by one.
WORKERS = 8
USER_AGENT = "PrestaShop-Webhooks/1.0"


@dataclass
class SenderFaults:
    """What the sender gets wrong on purpose, each a share of events (0 to 1)."""

    duplicate_rate: float = 0.0  # delivered twice
    reorder_rate: float = 0.0  # held back ``reorder_delay`` seconds, so later events overtake it
    reorder_delay: float = 2.0
    bad_signature_rate: float = 0.0  # also sent once signed with a wrong secret (to be refused)
    seed: int = 0


#: What ``WebhookSender.configure`` accepts by name: the ``SenderFaults`` and the retry schedule.
SENDER_SETTINGS = ("duplicate_rate", "reorder_rate", "reorder_delay", "bad_signature_rate", "retry_delays")


@dataclass(order=True)
class _Delivery:
    due: float
    sequence: int
    url: str = field(compare=False)
    body: bytes = field(compare=False)
    envelope: dict[str, Any] = field(compare=False)
    attempt: int = field(default=1, compare=False)
    bad_signature: bool = field(default=False, compare=False)


class WebhookSender:
    """Subscribers (URL, secrets) and the threads that deliver to them (``workers`` at once). Call
    ``stop()`` to end them."""

    def __init__(
        self,
        shop_url: str,
        *,
        ps_version: str = "1.7.8.0",
        retry_delays: Sequence[float] = RETRY_DELAYS,
        timeout: float = TIMEOUT,
        faults: SenderFaults | None = None,
        workers: int = WORKERS,
    ):
        self.shop_url = shop_url.rstrip("/")
        self.ps_version = ps_version
        self.retry_delays = tuple(retry_delays)
        self.faults = faults or SenderFaults()
        self.subscribers: dict[str, list[str]] = {}  # url -> secrets (several while one is rotated)
        self.delivered: list[dict[str, Any]] = []  # url, id, event, attempt, status
        self.dead: list[dict[str, Any]] = []
        self.events = 0  # events queued for delivery (one envelope each, whatever the copies)
        self._random = random.Random(self.faults.seed)
        self._queue: list[_Delivery] = []
        self._sequence = 0
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self._http = httpx.Client(timeout=timeout, follow_redirects=False)
        self._threads = [
            threading.Thread(target=self._run, name=f"sandbox-webhooks-{n}", daemon=True)
            for n in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def subscribe(self, url: str, secrets: Sequence[str]) -> None:
        if not secrets or not all(secrets):
            raise ValueError("a subscriber needs a secret")
        with self._lock:
            self.subscribers[url] = list(secrets)

    def __call__(self, event: dict[str, Any]) -> None:
        """The shop's subscriber callback: one envelope per event, queued for every subscriber."""
        resource = dict(event.get("resource") or {})
        if resource.get("id") is not None:
            resource["href"] = f"{self.shop_url}/api/{resource['type']}/{resource['id']}"
        # the record's shop in a multistore (the event says); the shops share one Webservice URL
        shop = {"id_shop": 1, "id_shop_group": 1, **(event.get("shop") or {})}
        envelope = {
            "id": str(uuid.uuid4()),
            "event": event["event"],
            "contract_version": 1,
            "occurred_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "shop": {**shop, "url": self.shop_url, "ps_version": self.ps_version},
            "source_hook": event.get("source_hook", ""),
            "resource": resource,
            "data": event.get("data") or {},
        }
        if "resource_version" in event:  # the module's per-resource counter (its return events)
            envelope["resource_version"] = event["resource_version"]
        body = json.dumps(envelope).encode()
        now = time.monotonic()
        with self._lock:
            self.events += 1
            for url in self.subscribers:
                delay = self.faults.reorder_delay if self._random.random() < self.faults.reorder_rate else 0.0
                if self._random.random() < self.faults.bad_signature_rate:  # an extra, forged copy
                    self._push(_Delivery(now, 0, url, body, envelope, bad_signature=True))
                copies = 2 if self._random.random() < self.faults.duplicate_rate else 1
                for _ in range(copies):
                    self._push(_Delivery(now + delay, 0, url, body, envelope))
            self._lock.notify()

    def configure(self, settings: dict[str, Any]) -> dict[str, Any]:
        """Change the faults and the retry schedule by name (``SENDER_SETTINGS``); unknown names and
        bad values are a ValueError and change nothing. Returns the settings now in force."""
        unknown = set(settings) - set(SENDER_SETTINGS)
        if unknown:
            raise ValueError(f"unknown sender settings {sorted(unknown)}; known: {sorted(SENDER_SETTINGS)}")
        values: dict[str, Any] = {}
        for name, value in settings.items():
            if name == "retry_delays":
                delays = tuple(float(d) for d in value)
                if any(d < 0 for d in delays):
                    raise ValueError("retry_delays must not be negative")
                values[name] = delays
                continue
            number = float(value)
            if number < 0 or (name.endswith("_rate") and number > 1):
                raise ValueError(f"{name} must be {'between 0 and 1' if name.endswith('_rate') else '>= 0'}")
            values[name] = number
        with self._lock:
            for name, value in values.items():
                setattr(self if name == "retry_delays" else self.faults, name, value)
            return self.settings()

    def settings(self) -> dict[str, Any]:
        return {
            name: list(self.retry_delays) if name == "retry_delays" else getattr(self.faults, name)
            for name in SENDER_SETTINGS
        }

    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            self._lock.notify_all()
        for thread in self._threads:
            thread.join(timeout=10)
        self._http.close()

    # -- delivery ----------------------------------------------------------------------------------

    def _push(self, delivery: _Delivery) -> None:
        self._sequence += 1
        delivery.sequence = self._sequence
        heapq.heappush(self._queue, delivery)

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                if not self._queue:
                    self._lock.wait(timeout=0.5)
                    continue
                wait = self._queue[0].due - time.monotonic()
                if wait > 0:
                    self._lock.wait(timeout=min(wait, 0.5))
                    continue
                delivery = heapq.heappop(self._queue)
                secrets = list(self.subscribers.get(delivery.url, []))
            if secrets:
                self._deliver(delivery, secrets)

    def _deliver(self, delivery: _Delivery, secrets: list[str]) -> None:
        t = int(time.time())
        keys = ["not-the-secret-" + "x" * 32] if delivery.bad_signature else secrets
        signatures = ",".join(
            "v1=" + hmac.new(k.encode(), f"{t}.".encode() + delivery.body, hashlib.sha256).hexdigest()
            for k in keys
        )
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-PS-Webhook-Id": delivery.envelope["id"],
            "X-PS-Webhook-Event": delivery.envelope["event"],
            "X-PS-Webhook-Timestamp": str(t),
            "X-PS-Webhook-Attempt": str(delivery.attempt),
            "X-PS-Webhook-Signature": f"t={t},{signatures}",
        }
        try:
            status: int | None = self._http.post(
                delivery.url, content=delivery.body, headers=headers
            ).status_code
        except httpx.HTTPError:
            status = None  # timeout or connection error: a temporary failure
        record = {"url": delivery.url, "id": delivery.envelope["id"], "event": delivery.envelope["event"],
                  "attempt": delivery.attempt, "status": status}  # fmt: skip
        if status is not None and 200 <= status < 300:
            self.delivered.append(record)
        elif status is None or status in (408, 429) or status >= 500:
            if delivery.attempt <= len(self.retry_delays):
                delay = self.retry_delays[delivery.attempt - 1]
                with self._lock:
                    self._push(_Delivery(time.monotonic() + delay, 0, delivery.url, delivery.body,
                                         delivery.envelope, delivery.attempt + 1))  # fmt: skip
                    self._lock.notify()
            else:
                self.dead.append(record)
        else:
            self.dead.append(record)  # 400, 401, 403, 404, 410, 413...: permanent (contract §7.1)
