package broker

import (
	"crypto/rand"
	"encoding/base64"
	"net/url"
	"strings"
)

// logName is the name of a queue's log in its store: the vhost, escaped so
// that it holds no '/', then '/', then the queue name. Distinct (vhost,
// queue) pairs get distinct names; the store escapes them for its files.
func logName(vhost, queue string) string {
	return url.PathEscape(vhost) + "/" + queue
}

// reservedPrefix starts the names AMQP keeps for the server.
const reservedPrefix = "amq."

// generatedName returns a fresh server-chosen queue name, as RabbitMQ
// makes for queue.declare with an empty name.
func generatedName() string {
	var b [16]byte
	rand.Read(b[:])
	return reservedPrefix + "gen-" + base64.RawURLEncoding.EncodeToString(b[:])
}

// checkQueueName validates a client-chosen queue name.
func checkQueueName(name string) error {
	switch {
	case len(name) > maxNameLen:
		return newError(InvalidArgument, "queue name is %d bytes, more than %d", len(name), maxNameLen)
	case strings.HasPrefix(name, reservedPrefix):
		return newError(AccessRefused, "queue name '%s' contains reserved prefix '%s'", name, reservedPrefix)
	}
	return nil
}
