package broker

import (
	"log/slog"
	"slices"

	"github.com/ferrymq/ferry/internal/meta"
)

// maxNameLen bounds vhost and queue names: AMQP carries them in short
// strings.
const maxNameLen = 255

// AddVHost creates vhost name; adding one that exists does nothing.
func (b *Broker) AddVHost(name string) error {
	if name == "" || len(name) > maxNameLen {
		return newError(InvalidArgument, "vhost name must be 1 to %d bytes, got %d", maxNameLen, len(name))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return errClosed
	}
	if b.vhosts[name] != nil {
		return nil
	}
	if b.meta != nil {
		if err := b.meta.PutVHost(meta.VHost{Name: name}); err != nil {
			return &Error{Code: Internal, Msg: "cannot store vhost '" + name + "'", Err: err}
		}
	}
	b.vhosts[name] = b.newVHost(name)
	b.logger.Info("vhost added", slog.String("vhost", name))
	return nil
}

// DeleteVHost deletes vhost name with all its queues and their messages.
// The default vhost cannot be deleted.
func (b *Broker) DeleteVHost(name string) error {
	if name == DefaultVHost {
		return newError(NotAllowed, "the default vhost '%s' cannot be deleted", name)
	}
	b.mu.Lock()
	vh, err := b.vhostLocked(name)
	if err != nil {
		b.mu.Unlock()
		return err
	}
	if b.meta != nil {
		if err := b.meta.DeleteVHost(name); err != nil {
			b.mu.Unlock()
			return &Error{Code: Internal, Msg: "cannot delete vhost '" + name + "'", Err: err}
		}
	}
	delete(b.vhosts, name)
	b.mu.Unlock()
	for _, e := range vh.queues {
		b.dropQueue(e, false)
	}
	b.dropVHostPolicies(name)
	b.logger.Info("vhost deleted", slog.String("vhost", name), slog.Int("queues", len(vh.queues)))
	return nil
}

// VHosts lists the vhosts, sorted.
func (b *Broker) VHosts() []string {
	b.mu.RLock()
	defer b.mu.RUnlock()
	names := make([]string, 0, len(b.vhosts))
	for n := range b.vhosts {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
