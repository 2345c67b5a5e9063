"""``make dlq-replay``: show the messages parked in a dead-letter queue and publish them again.

    make dlq-replay ARGS="notification"            list what is parked for the notification service
    make dlq-replay ARGS="notification --replay"   publish every parked message back to the exchange

A replayed message keeps its id, so a consumer that already applied it skips it.

It connects as the broker user of its own (``TQR_DLQ_AMQP_URL``, else ``TQR_AMQP_URL``): reading
every dead-letter queue and publishing the event types consumers consume is more than any service
may do (``servicekit.bus.access``). Replay only what you have read: a parked message goes back to
every consumer of its type.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any

import aio_pika

from servicekit.bus.topology import Topology


async def drain(amqp_url: str, topology: Topology, consumer: str, replay: bool, limit: int) -> int:
    connection = await aio_pika.connect_robust(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        queue = await channel.get_queue(topology.dead_letter_queue_name(consumer), ensure=True)
        exchange = await channel.get_exchange(topology.exchange, ensure=True)
        handled = 0
        looked_at: list[aio_pika.abc.AbstractIncomingMessage] = []
        while handled < limit:
            message = await queue.get(fail=False, no_ack=False)
            if message is None:
                break
            deaths: Any = (message.headers or {}).get("x-death") or [{}]
            reason = deaths[0].get("reason", "?") if isinstance(deaths, list) and deaths else "?"
            print(f"{message.message_id}  {message.type or message.routing_key}  reason={reason!s}  "
                  f"correlation={message.correlation_id}")
            if replay:
                headers = {k: v for k, v in (message.headers or {}).items() if not k.startswith("x-death")}
                await exchange.publish(
                    aio_pika.Message(
                        message.body, content_type=message.content_type, message_id=message.message_id,
                        correlation_id=message.correlation_id, type=message.type, headers=headers,
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT, app_id=message.app_id,
                    ),
                    routing_key=str(message.type or ""),
                    mandatory=True,
                )
                await message.ack()
            else:
                looked_at.append(message)  # held unacknowledged, so the next get returns the next one
            handled += 1
        for message in looked_at:
            await message.nack(requeue=True)  # only looking: put them all back
        print(f"{handled} message(s) {'replayed' if replay else 'parked'}")
        return handled


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dlq-replay", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("consumer", help="the consuming service: notification, documents, …")
    parser.add_argument("--replay", action="store_true", help="publish the parked messages again")
    parser.add_argument("--limit", type=int, default=10_000)
    parser.add_argument("--amqp-url", default=os.environ.get("TQR_DLQ_AMQP_URL") or os.environ.get(
        "TQR_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"))
    parser.add_argument("--exchange", default=os.environ.get("TQR_EXCHANGE", "tqr.events"))
    parser.add_argument("--queue-prefix", default=os.environ.get("TQR_QUEUE_PREFIX", ""))
    args = parser.parse_args(argv)
    topology = Topology(args.exchange, args.queue_prefix)
    asyncio.run(drain(args.amqp_url, topology, args.consumer, args.replay, args.limit))
    return 0


if __name__ == "__main__":
    sys.exit(main())
