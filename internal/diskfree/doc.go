// Package diskfree reads how much disk space is left where the node keeps
// its data, as both the disk alarm (amqp's connection.blocked) and the
// admin API's /readyz and overview count it: the bytes available to
// unprivileged users, which is what a write by Ferry can still use.
package diskfree
