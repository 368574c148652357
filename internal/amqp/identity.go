package amqp

// displayName is the connection's name as admin lists it (connView.name),
// which message history records as who published and who consumed. The
// reader goroutine set it during the handshake and only the reader calls
// this (publish, consume, get), so it is read without connView.mu.
func (c *conn) displayName() string { return c.view.name }
