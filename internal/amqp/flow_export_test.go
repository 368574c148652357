package amqp

// FlowWaits returns a channel that receives "budget" or "alarm" each time
// a reader of s is about to stop reading for flow control, and why. The
// channel is buffered; events past its capacity are dropped, which only
// matters to a test that does not read them.
func FlowWaits(s *Server) <-chan string {
	ch := make(chan string, 1024)
	f := func(_, why string) {
		select {
		case ch <- why:
		default:
		}
	}
	s.flowHook.Store(&f)
	return ch
}
