package main

import (
	"errors"
	"fmt"
	"net"
)

// listening is what every front end does with its listener: bind it at
// Start (so that "ready" means clients can connect), serve on it in the
// background, and at Shutdown collect what Serve returned. Each front end
// embeds one.
type listening struct {
	addr   string     // the address to listen on
	served chan error // Serve's result, once it returns
	bound  net.Addr   // the listener's address, once started
}

// listen binds l.addr and runs serve on it on a goroutine of its own.
func (l *listening) listen(serve func(net.Listener) error) error {
	ln, err := net.Listen("tcp", l.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", l.addr, err)
	}
	l.bound = ln.Addr()
	l.served = make(chan error, 1)
	go func() { l.served <- serve(ln) }()
	return nil
}

// wait joins err (the server's Shutdown) with what Serve returned, unless
// that is closed, the server's error for a clean stop. It returns at once
// if listen never ran.
func (l *listening) wait(err, closed error) error {
	if l.served != nil {
		if serr := <-l.served; serr != nil && !errors.Is(serr, closed) {
			err = errors.Join(err, serr)
		}
	}
	return err
}
