package broker

import (
	"log/slog"

	"github.com/ferrymq/ferry/internal/message"
)

// Alternate exchanges, as RabbitMQ has them (https://www.rabbitmq.com/docs/ae).
//
// An exchange that routes a message nowhere (no queue, no exchange bound
// for it) hands it to its alternate exchange, named by its
// "alternate-exchange" argument or, without one, by the
// "alternate-exchange" key of the policy that applies to it (apply-to
// exchanges or all). The alternate's own alternate takes over in turn,
// until something routes the message, the chain ends, or it comes back
// to an exchange already tried. A message routed through an alternate
// counts as routed (no basic.return for mandatory) and is not changed.
// The default exchange has none. An alternate that does not exist is
// skipped, with one WARN per exchange and name.

const alternateKey = "alternate-exchange"

// checkAlternateArg refuses an "alternate-exchange" argument that is not
// a string, as RabbitMQ does (its type must be longstr).
func checkAlternateArg(vhostName, name string, args message.Table) error {
	v, ok := args.Get(alternateKey)
	if !ok {
		return nil
	}
	if _, ok := message.String(v); !ok {
		return newError(PreconditionFailed, "invalid arg '%s' for exchange '%s' in vhost '%s': %s",
			alternateKey, name, vhostName, unacceptable(v))
	}
	return nil
}

// alternateOf returns the name of x's alternate exchange, or "". b.mu is
// held (read), which guards the policies.
func (b *Broker) alternateOf(vhostName string, x *exchange) string {
	if v, ok := x.args.Get(alternateKey); ok {
		name, _ := message.String(v)
		return name
	}
	if p := bestPolicy(b.policies, "exchanges", vhostName, x.name); p != nil {
		name, _ := message.String(p.Definition[alternateKey])
		return name
	}
	return ""
}

// ExchangePolicyOf returns the policy that applies to exchange name in
// vhost (ok false when none does), as the admin API shows it beside the
// exchange.
func (b *Broker) ExchangePolicyOf(vhostName, name string) (p Policy, ok bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if best := bestPolicy(b.policies, "exchanges", vhostName, name); best != nil {
		return best.Policy, true
	}
	return Policy{}, false
}

// warnMissingAlternate logs, once per exchange and name, that an
// alternate exchange to route through does not exist.
func (b *Broker) warnMissingAlternate(vhostName, exchange, alternate string) {
	if _, seen := b.missingAlternates.LoadOrStore(vhostName+"\x00"+exchange+"\x00"+alternate, struct{}{}); seen {
		return
	}
	b.logger.Warn("alternate exchange does not exist; unroutable messages are dropped",
		slog.String("vhost", vhostName), slog.String("exchange", exchange), slog.String("alternate_exchange", alternate))
}
