package loadgen

import (
	"fmt"
	"sync/atomic"

	amqp "github.com/rabbitmq/amqp091-go"
)

// counters are the live totals that progress lines report. Exact figures
// for the Result come from each producer's and consumer's own fields.
type counters struct {
	sent, confirmed, consumed atomic.Uint64
}

// dial opens a connection named for its role, so that it is easy to find
// in the broker's connection list.
func dial(cfg *Config, name string) (*amqp.Connection, error) {
	conn, err := amqp.DialConfig(cfg.URL, amqp.Config{
		Properties: amqp.Table{"connection_name": "ferry-bench " + name},
	})
	if err != nil {
		return nil, fmt.Errorf("%s: connect to %s: %w", name, cfg.RedactedURL(), err)
	}
	return conn, nil
}

// openChannel dials and opens one channel on the new connection.
func openChannel(cfg *Config, name string) (*amqp.Connection, *amqp.Channel, error) {
	conn, err := dial(cfg, name)
	if err != nil {
		return nil, nil, err
	}
	ch, err := conn.Channel()
	if err != nil {
		_ = conn.Close()
		return nil, nil, fmt.Errorf("%s: open channel: %w", name, err)
	}
	return conn, ch, nil
}

// closeReason returns why a channel closed, from the NotifyClose receiver
// (buffered, so the library never blocks on it), if it has said.
func closeReason(name string, closed <-chan *amqp.Error) error {
	select {
	case e, ok := <-closed:
		if ok && e != nil {
			return fmt.Errorf("%s: channel closed by the broker: %w", name, e)
		}
	default:
	}
	return fmt.Errorf("%s: channel closed", name)
}
