package loadgen

import (
	"fmt"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/ferrymq/ferry/internal/amqp/wire"
	"github.com/ferrymq/ferry/internal/message"
)

// runQueue returns the name to declare and whether Run should delete the
// queue at the end: a server-named queue (empty Queue) or a fresh one is
// the run's own; a named queue is left as it was found, backlog and all
// (its old messages count as foreign).
func runQueue(cfg *Config, runID uint64) (name string, owned bool) {
	name = cfg.Queue
	owned = name == "" || cfg.FreshQueue
	if cfg.FreshQueue && name != "" {
		name = fmt.Sprintf("%s-%016x", name, runID)
	}
	return name, owned
}

func declareErr(name string, cfg *Config, err error) error {
	return fmt.Errorf("declare queue %q (durable %v, type %q): %w", name, cfg.Durable, cfg.QueueType, err)
}

// declareQueue declares the run's queue on ch (amqp091) and returns its
// name and whether Run should delete it at the end (see runQueue).
func declareQueue(ch *amqp.Channel, cfg *Config, runID uint64) (name string, owned bool, err error) {
	name, owned = runQueue(cfg, runID)
	var args amqp.Table
	if cfg.QueueType != "" {
		args = amqp.Table{"x-queue-type": cfg.QueueType}
	}
	q, err := ch.QueueDeclare(name, cfg.Durable, false, false, false, args)
	if err != nil {
		return "", false, declareErr(name, cfg, err)
	}
	return q.Name, owned, nil
}

// deleteQueue removes a queue the run declared for itself (amqp091).
func deleteQueue(ch *amqp.Channel, name string) error {
	if _, err := ch.QueueDelete(name, false, false, false); err != nil {
		return fmt.Errorf("delete queue %q: %w", name, err)
	}
	return nil
}

// declareQueueLean is declareQueue on the lean client, with the same
// arguments: not exclusive, not auto-delete, x-queue-type if set.
func declareQueueLean(c *leanConn, cfg *Config, runID uint64) (name string, owned bool, err error) {
	name, owned = runQueue(cfg, runID)
	req := &wire.QueueDeclare{Queue: name, Durable: cfg.Durable}
	if cfg.QueueType != "" {
		req.Arguments = message.Table{{Key: "x-queue-type", Value: cfg.QueueType}}
	}
	var ok wire.QueueDeclareOk
	if err := c.call(leanChannel, req, &ok); err != nil {
		return "", false, declareErr(name, cfg, err)
	}
	return ok.Queue, owned, nil
}

// deleteQueueLean is deleteQueue on the lean client.
func deleteQueueLean(c *leanConn, name string) error {
	if err := c.call(leanChannel, &wire.QueueDelete{Queue: name}, &wire.QueueDeleteOk{}); err != nil {
		return fmt.Errorf("delete queue %q: %w", name, err)
	}
	return nil
}
