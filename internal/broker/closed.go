package broker

// Closed reports whether Close has been called: the broker then refuses
// every call, and the admin API's /readyz says the node is not ready.
func (b *Broker) Closed() bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.closed
}
