"""A second AMQP 0-9-1 client against a real ferry node: pika (Python).

Run by e2e/pika_test.go as

    python3 pika_client.py MODE AMQP_URL

It prints one JSON object on stdout with what it observed, and the Go test
asserts on the values. The script decides nothing itself: it only records
(the one exception is an unexpected exception, which it lets escape so the
traceback reaches the test log and the exit status is non-zero).

MODE is one of:
  scenario        the tour of the protocol that pika's BlockingConnection
                  offers (declare, bind, confirmed publish, get, consume
                  with prefetch, nack/reject, errors, purge, delete)
  publish-cross   publish MESSAGE_COUNT rich messages to the durable queue
                  e2e.cross for amqp091-go to consume
  consume-cross   basic_get one message from e2e.cross (published by
                  amqp091-go) and report its properties as pika decodes them
"""

import datetime
import decimal
import json
import sys

import pika
import pika.exceptions


def jsonable(value):
    """Turns what pika decodes from a field table into JSON, keeping the
    type visible where JSON would blur it."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return {"bytes": value.hex()}
    if isinstance(value, decimal.Decimal):
        return {"decimal": str(value)}
    if isinstance(value, datetime.datetime):
        return {"timestamp": value.isoformat()}
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return {"unknown": repr(value)}


def props_json(props):
    """The basic properties pika decoded, by their spec names."""
    return {
        "content_type": props.content_type,
        "content_encoding": props.content_encoding,
        "headers": jsonable(props.headers),
        "delivery_mode": props.delivery_mode,
        "priority": props.priority,
        "correlation_id": props.correlation_id,
        "reply_to": props.reply_to,
        "expiration": props.expiration,
        "message_id": props.message_id,
        "timestamp": props.timestamp,
        "type": props.type,
        "user_id": props.user_id,
        "app_id": props.app_id,
    }


def get_json(ch, queue, ack=True):
    """basic_get one message; returns (delivery tag, record) or (None,
    {"empty": True})."""
    method, props, body = ch.basic_get(queue, auto_ack=False)
    if method is None:
        return None, {"empty": True}
    rec = {
        "exchange": method.exchange,
        "routing_key": method.routing_key,
        "redelivered": method.redelivered,
        "message_count": method.message_count,
        "body": body.decode("utf-8", "replace"),
        "properties": props_json(props),
    }
    if ack:
        ch.basic_ack(method.delivery_tag)
    return method.delivery_tag, rec


def broker_close(fn):
    """Runs fn on a channel the broker is expected to close; returns the
    reply code and text it gave."""
    try:
        fn()
    except pika.exceptions.ChannelClosedByBroker as e:
        return {"code": e.reply_code, "text": e.reply_text}
    return {"code": 0, "text": "not closed"}


# Header values of every type pika can encode (pika 1.2 has no float
# encoder). The Go side holds the amqp091-go values these must decode to.
RICH_HEADERS = {
    "str": "héllo wörld",
    "int": 42,
    "neg": -7,
    "big": 2 ** 40,
    "negbig": -(2 ** 40),
    "bool": True,
    "false": False,
    "dec": decimal.Decimal("3.14"),
    "ts": datetime.datetime(2024, 1, 2, 3, 4, 5),
    "nested": {"k": "v", "n": 1, "inner": {"deep": True}},
    "list": [1, "two", False, None],
    "bytes": b"\x00\x01\xfe\xff",
    "none": None,
    "empty": "",
}


def rich_properties(i):
    return pika.BasicProperties(
        content_type="application/octet-stream",
        content_encoding="identity",
        headers=dict(RICH_HEADERS, seq=i),
        delivery_mode=2,
        priority=5,
        correlation_id="corr-%d" % i,
        reply_to="e2e.replies",
        message_id="msg-%d" % i,
        timestamp=1700000000 + i,
        type="e2e.cross",
        user_id="guest",
        app_id="pika-e2e",
    )


def rich_body(i):
    """Binary on purpose: every byte value, so a text-only path shows."""
    return bytes(range(256)) + ("seq=%d" % i).encode()


def scenario(url):
    out = {}
    conn = pika.BlockingConnection(pika.URLParameters(url))
    out["connection_open"] = conn.is_open
    ch = conn.channel()
    ch.confirm_delivery()

    ch.exchange_declare("e2e.topic", exchange_type="topic", durable=True)
    ok = ch.queue_declare("e2e.orders", durable=True)
    out["declare"] = {
        "queue": ok.method.queue,
        "message_count": ok.method.message_count,
        "consumer_count": ok.method.consumer_count,
    }
    ch.queue_bind("e2e.orders", "e2e.topic", routing_key="orders.*.created")

    # Confirmed, persistent publishes; basic_publish returns only once the
    # broker acked each (it raises on nack or return).
    for n in range(1, 6):
        props = pika.BasicProperties(
            delivery_mode=2,
            content_type="application/json",
            correlation_id="corr-%d" % n,
            message_id="msg-%d" % n,
            headers={
                "n": n,
                "str": "text",
                "big": 2 ** 40,
                "bool": True,
                "dec": decimal.Decimal("3.14"),
                "ts": datetime.datetime(2024, 1, 2, 3, 4, 5),
                "nested": {"k": "v"},
                "list": [1, "two"],
                "bytes": b"\x00\xff",
                "none": None,
            },
        )
        ch.basic_publish("e2e.topic", "orders.eu.created",
                         json.dumps({"n": n}), properties=props)
    out["published"] = 5

    # mandatory + no matching binding: basic.return, then ack, which pika
    # raises as UnroutableError.
    try:
        ch.basic_publish("e2e.topic", "orders.eu.deleted", "lost",
                         mandatory=True)
        out["unroutable"] = {"raised": False}
    except pika.exceptions.UnroutableError as e:
        m = e.messages[0]
        out["unroutable"] = {
            "raised": True,
            "count": len(e.messages),
            "reply_code": m.method.reply_code,
            "reply_text": m.method.reply_text,
            "routing_key": m.method.routing_key,
            "body": m.body.decode(),
        }

    _, out["get"] = get_json(ch, "e2e.orders")

    # Consume with prefetch 2 and manual acks: with two deliveries held
    # unacked, the queue keeps the other two ready.
    ch.basic_qos(prefetch_count=2)
    got = []
    ctag = ch.basic_consume(
        "e2e.orders",
        lambda c, m, p, b: got.append((m, p, b)),
        auto_ack=False)
    while len(got) < 2:
        conn.process_data_events(time_limit=None)
    held = ch.queue_declare("e2e.orders", passive=True)
    out["prefetch"] = {
        "held": len(got),
        "ready_while_held": held.method.message_count,
        "consumers": held.method.consumer_count,
    }
    acked = 0
    while acked < 4:
        while len(got) <= acked:
            conn.process_data_events(time_limit=None)
        ch.basic_ack(got[acked][0].delivery_tag)
        acked += 1
    out["consume"] = {
        "bodies": [json.loads(b)["n"] for (_, _, b) in got],
        "redelivered": [m.redelivered for (m, _, _) in got],
        "consumer_tag_matches": all(m.consumer_tag == ctag
                                    for (m, _, _) in got),
        "content_types": [p.content_type for (_, p, _) in got],
    }
    ch.basic_cancel(ctag)

    # basic_nack with requeue: the same message comes back, redelivered.
    ch.basic_publish("e2e.topic", "orders.us.created", "nack-me",
                     properties=pika.BasicProperties(delivery_mode=2))
    tag, first = get_json(ch, "e2e.orders", ack=False)
    ch.basic_nack(tag, requeue=True)
    tag, second = get_json(ch, "e2e.orders", ack=False)
    ch.basic_ack(tag)
    out["nack"] = {
        "first_redelivered": first["redelivered"],
        "second_body": second["body"],
        "second_redelivered": second["redelivered"],
    }

    # basic_reject: requeue=True puts it back, requeue=False drops it
    # (no dead-letter exchange here).
    ch.basic_publish("e2e.topic", "orders.us.created", "reject-me",
                     properties=pika.BasicProperties(delivery_mode=2))
    tag, first = get_json(ch, "e2e.orders", ack=False)
    ch.basic_reject(tag, requeue=True)
    tag, second = get_json(ch, "e2e.orders", ack=False)
    ch.basic_reject(tag, requeue=False)
    _, after = get_json(ch, "e2e.orders")
    out["reject"] = {
        "requeued_body": second["body"],
        "requeued_redelivered": second["redelivered"],
        "after_drop": after,
    }

    # A passive declare of a missing queue closes that channel with 404;
    # the connection and the other channel go on.
    bad = conn.channel()
    out["missing_queue"] = broker_close(
        lambda: bad.queue_declare("e2e.missing", passive=True))
    out["missing_queue"]["bad_channel_closed"] = bad.is_closed
    out["missing_queue"]["main_channel_open"] = ch.is_open

    # Exchange-to-exchange: e2e.fanout -> e2e.topic -> e2e.orders.
    ch.exchange_declare("e2e.fanout", exchange_type="fanout", durable=True)
    ch.exchange_bind(destination="e2e.topic", source="e2e.fanout")
    ch.basic_publish("e2e.fanout", "orders.asia.created", "via-e2e",
                     properties=pika.BasicProperties(delivery_mode=2))
    _, out["e2e_binding"] = get_json(ch, "e2e.orders")
    ch.exchange_unbind(destination="e2e.topic", source="e2e.fanout")
    try:
        ch.basic_publish("e2e.fanout", "orders.asia.created", "unbound",
                         mandatory=True)
        out["e2e_unbound_returned"] = False
    except pika.exceptions.UnroutableError:
        out["e2e_unbound_returned"] = True

    # Purge then delete.
    for n in range(3):
        ch.basic_publish("e2e.topic", "orders.eu.created", "purge-%d" % n,
                         properties=pika.BasicProperties(delivery_mode=2))
    purged = ch.queue_purge("e2e.orders")
    _, after_purge = get_json(ch, "e2e.orders")
    deleted = ch.queue_delete("e2e.orders")
    gone = conn.channel()
    out["purge_delete"] = {
        "purged": purged.method.message_count,
        "after_purge": after_purge,
        "deleted_count": deleted.method.message_count,
        "declare_after_delete": broker_close(
            lambda: gone.queue_declare("e2e.orders", passive=True)),
    }
    ch.exchange_delete("e2e.fanout")
    ch.exchange_delete("e2e.topic")
    missing_x = conn.channel()
    out["exchange_after_delete"] = broker_close(
        lambda: missing_x.exchange_declare("e2e.topic", passive=True))

    conn.close()
    out["connection_closed"] = conn.is_closed
    return out


def publish_cross(url, count):
    conn = pika.BlockingConnection(pika.URLParameters(url))
    ch = conn.channel()
    ch.confirm_delivery()
    ch.queue_declare("e2e.cross", durable=True)
    for i in range(count):
        ch.basic_publish("", "e2e.cross", rich_body(i),
                         properties=rich_properties(i))
    conn.close()
    return {"published": count}


def consume_cross(url):
    conn = pika.BlockingConnection(pika.URLParameters(url))
    ch = conn.channel()
    method, props, body = ch.basic_get("e2e.cross", auto_ack=False)
    if method is None:
        return {"empty": True}
    ch.basic_ack(method.delivery_tag)
    conn.close()
    return {"body_hex": body.hex(), "properties": props_json(props)}


def main():
    mode, url = sys.argv[1], sys.argv[2]
    if mode == "scenario":
        out = scenario(url)
    elif mode == "publish-cross":
        out = publish_cross(url, int(sys.argv[3]))
    elif mode == "consume-cross":
        out = consume_cross(url)
    else:
        raise SystemExit("unknown mode %r" % mode)
    json.dump(out, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
