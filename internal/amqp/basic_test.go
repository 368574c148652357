package amqp_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

func TestHandshakeAndServerProperties(t *testing.T) {
	e := start(t)
	c := e.dial()
	for _, cap := range []string{"publisher_confirms", "basic.nack", "consumer_cancel_notify",
		"exchange_exchange_bindings", "connection.blocked", "authentication_failure_close", "per_consumer_qos"} {
		caps, _ := c.Properties["capabilities"].(amqp091.Table)
		if caps[cap] != true {
			t.Errorf("server does not announce capability %q", cap)
		}
	}
	if got := c.Properties["product"]; got != "Ferry" {
		t.Errorf("product = %v", got)
	}
	if c.Major != 0 || c.Minor != 9 {
		t.Errorf("version %d-%d", c.Major, c.Minor)
	}
	cfg := c.Config
	if cfg.FrameSize != 131072 || cfg.ChannelMax != 2047 {
		t.Errorf("negotiated frame-max %d channel-max %d", cfg.FrameSize, cfg.ChannelMax)
	}
	st := e.srv.Stats()
	if st.Connections != 1 || st.BytesIn == 0 || st.BytesOut == 0 {
		t.Errorf("stats after one connection: %+v", st)
	}
}

func TestTuneHonoursLowerClientValues(t *testing.T) {
	e := start(t)
	c, err := amqp091.DialConfig(e.url("guest", "guest"), amqp091.Config{ChannelMax: 10, FrameSize: 8192})
	must(t, err)
	defer c.Close()
	if c.Config.ChannelMax != 10 || c.Config.FrameSize != 8192 {
		t.Fatalf("negotiated channel-max %d frame-max %d", c.Config.ChannelMax, c.Config.FrameSize)
	}
	// A body larger than one frame arrives whole, split by both sides.
	ch, err := c.Channel()
	must(t, err)
	q := declare(t, ch, "big")
	body := make([]byte, 50000)
	for i := range body {
		body[i] = byte(i)
	}
	must(t, ch.PublishWithContext(context.Background(), "", q.Name, false, false, amqp091.Publishing{Body: body}))
	d, ok, err := ch.Get(q.Name, true)
	must(t, err)
	if !ok || string(d.Body) != string(body) {
		t.Fatalf("got ok=%v, %d bytes", ok, len(d.Body))
	}
}

func TestAuthFailure(t *testing.T) {
	e := start(t)
	_, err := amqp091.Dial(e.url("guest", "wrong"))
	if !errors.Is(err, amqp091.ErrCredentials) {
		t.Fatalf("wrong password: err = %v, want ErrCredentials", err)
	}
	_, err = amqp091.Dial(e.url("nobody", "guest"))
	if !errors.Is(err, amqp091.ErrCredentials) {
		t.Fatalf("unknown user: err = %v, want ErrCredentials", err)
	}
	// AMQPLAIN works as well as PLAIN.
	c, err := amqp091.DialConfig(e.url("guest", "guest"), amqp091.Config{
		SASL: []amqp091.Authentication{&amqp091.AMQPlainAuth{Username: "guest", Password: "guest"}}})
	must(t, err)
	c.Close()
}

func TestVHostRefused(t *testing.T) {
	e := start(t)
	_, err := amqp091.Dial("amqp://guest:guest@" + e.addr + "/nosuch")
	if !errors.Is(err, amqp091.ErrVhost) {
		t.Fatalf("missing vhost: err = %v, want ErrVhost", err)
	}
	must(t, e.broker.AddVHost("dev"))
	_, err = amqp091.Dial("amqp://guest:guest@" + e.addr + "/dev")
	if !errors.Is(err, amqp091.ErrVhost) {
		t.Fatalf("vhost without permission: err = %v, want ErrVhost", err)
	}
	must(t, e.users.Grant("guest", "dev"))
	c, err := amqp091.Dial("amqp://guest:guest@" + e.addr + "/dev")
	must(t, err)
	c.Close()
}

func TestPublishConsumeAck(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	q := declare(t, ch, "work")
	if q.Name != "work" || q.Messages != 0 || q.Consumers != 0 {
		t.Fatalf("declare-ok: %+v", q)
	}
	for i := range 10 {
		publish(t, ch, "", "work", fmt.Sprint("m", i))
	}
	msgs, err := ch.Consume("work", "c1", false, false, false, false, nil)
	must(t, err)
	for i := range 10 {
		d := recv(t, msgs)
		if string(d.Body) != fmt.Sprint("m", i) || d.ConsumerTag != "c1" || d.Redelivered || d.RoutingKey != "work" {
			t.Fatalf("delivery %d: body %q tag %q redelivered %v key %q", i, d.Body, d.ConsumerTag, d.Redelivered, d.RoutingKey)
		}
		if d.DeliveryTag != uint64(i+1) {
			t.Fatalf("delivery tag %d, want %d", d.DeliveryTag, i+1)
		}
		must(t, d.Ack(false))
	}
	// Redeclare reports what is in the queue: nothing ready, one consumer.
	q, err = ch.QueueDeclarePassive("work", false, false, false, false, nil)
	must(t, err)
	if q.Messages != 0 || q.Consumers != 1 {
		t.Fatalf("passive declare after acks: %+v", q)
	}
}

func TestPropertiesRoundTrip(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	declare(t, ch, "props")
	pub := amqp091.Publishing{
		ContentType: "application/json", ContentEncoding: "gzip", DeliveryMode: 2, Priority: 3,
		CorrelationId: "corr", ReplyTo: "back", Expiration: "", MessageId: "id-1", Type: "t", UserId: "guest",
		AppId: "app", Headers: amqp091.Table{"n": int32(7), "s": "x", "nested": amqp091.Table{"b": true}},
		Body: []byte(`{"a":1}`),
	}
	must(t, ch.PublishWithContext(context.Background(), "", "props", false, false, pub))
	d, ok, err := ch.Get("props", true)
	must(t, err)
	if !ok {
		t.Fatal("get-empty")
	}
	if d.ContentType != pub.ContentType || d.ContentEncoding != pub.ContentEncoding || d.DeliveryMode != 2 ||
		d.Priority != 3 || d.CorrelationId != "corr" || d.ReplyTo != "back" || d.MessageId != "id-1" ||
		d.Type != "t" || d.UserId != "guest" || d.AppId != "app" || string(d.Body) != `{"a":1}` {
		t.Fatalf("properties changed: %+v", d)
	}
	if d.Headers["n"] != int32(7) || d.Headers["s"] != "x" || d.Headers["nested"].(amqp091.Table)["b"] != true {
		t.Fatalf("headers changed: %#v", d.Headers)
	}
}

func TestUserIDMustMatch(t *testing.T) {
	e := start(t)
	_, ch := e.channel()
	declare(t, ch, "q")
	closed := ch.NotifyClose(make(chan *amqp091.Error, 1))
	must(t, ch.PublishWithContext(context.Background(), "", "q", false, false, amqp091.Publishing{UserId: "mallory"}))
	if err := amqpErr(t, closed); err.Code != 406 {
		t.Fatalf("user_id spoofing: %v, want 406", err)
	}
}
