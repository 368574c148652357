package loadgen

import (
	"fmt"

	amqp "github.com/rabbitmq/amqp091-go"
)

// declareQueue declares the run's queue on ch and returns its name and
// whether Run should delete it at the end: a server-named queue (empty
// Queue) or a fresh one is the run's own; a named queue is left as it was
// found, backlog and all (its old messages count as foreign).
func declareQueue(ch *amqp.Channel, cfg *Config, runID uint64) (name string, owned bool, err error) {
	name = cfg.Queue
	owned = name == "" || cfg.FreshQueue
	if cfg.FreshQueue && name != "" {
		name = fmt.Sprintf("%s-%016x", name, runID)
	}
	var args amqp.Table
	if cfg.QueueType != "" {
		args = amqp.Table{"x-queue-type": cfg.QueueType}
	}
	q, err := ch.QueueDeclare(name, cfg.Durable, false, false, false, args)
	if err != nil {
		return "", false, fmt.Errorf("declare queue %q (durable %v, type %q): %w", name, cfg.Durable, cfg.QueueType, err)
	}
	return q.Name, owned, nil
}

// deleteQueue removes a queue the run declared for itself.
func deleteQueue(ch *amqp.Channel, name string) error {
	if _, err := ch.QueueDelete(name, false, false, false); err != nil {
		return fmt.Errorf("delete queue %q: %w", name, err)
	}
	return nil
}
